//! `MiniportInitializeEx` (PASSIVE_LEVEL), in the order Doc `nf-ndis-ndismsetminiportattributes`
//! requires and the WDK 6001 sample follows (src/kmdf/ndisedge/60/NdisWdm.c:168-330, MPInitialize):
//! 1. registration attributes, first of all attribute calls;
//! 2. `NdisMGetDeviceProperty` for the PDO, FDO and next-lower device object;
//! 3. `WdfDeviceMiniportCreate` and `WdfDeviceGetIoTarget`;
//! 4. every resource the adapter will ever use: lower-edge requests and buffers (the read buffers
//!    with an MDL each), the receive NBL pool, NBLs and their MDLs;
//! 5. general attributes.
//!
//! A failure at any step releases exactly what the earlier steps created and returns the failing
//! status; NDIS will not call `MiniportHaltEx` for an adapter whose initialize failed. On success
//! the adapter is Paused.

use super::settings::{JUMBO_PACKET, Settings, reject_unsupported};
use super::{ADAPTER_TAG, Adapter, ETHERNET_HEADER, Link, MAX_MULTICAST_ADDRESSES, VLAN_TAG};
use crate::adapter::entry;
use crate::lower::BATCH_BUFFER_SIZE;
use crate::pool::PoolBox;
use crate::sys::{self, DeviceProperty};
use ndis_types::TRUE;
use ndis_types::handles::NdisHandle;
use ndis_types::miniport::{
    ETH_LENGTH_OF_ADDRESS, IF_TYPE_ETHERNET_CSMACD, MEDIA_CONNECT_STATE_CONNECTED,
    MEDIA_CONNECT_STATE_DISCONNECTED, NDIS_DEVICE_STATE_UNSPECIFIED, NDIS_INTERFACE_INTERNAL,
    NDIS_LINK_SPEED_UNKNOWN, NDIS_MAX_PHYS_ADDRESS_LENGTH, NDIS_MEDIUM_802_3,
    NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM, NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
    NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK, NDIS_PAUSE_FUNCTIONS_UNSUPPORTED,
    NDIS_PHYSICAL_MEDIUM_802_3, NET_IF_ACCESS_BROADCAST, NET_IF_CONNECTION_DEDICATED,
    NET_IF_DIRECTION_SENDRECEIVE, NdisMiniportAdapterGeneralAttributes,
    NdisMiniportAdapterRegistrationAttributes, NdisMiniportInitParameters, NdisPmCapabilities,
};
use ndis_types::object::{
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2,
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2, NDIS_OBJECT_TYPE_DEFAULT,
    NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
    NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, NDIS_PM_CAPABILITIES_REVISION_2,
    NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2,
    NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2,
    NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_2, NdisObjectHeader,
};
use ndis_types::oid::{
    NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA, NDIS_MAC_OPTION_NO_LOOPBACK, NDIS_MAC_OPTION_TRANSFERS_NOT_PEND,
    NDIS_PACKET_TYPE_ALL_MULTICAST, NDIS_PACKET_TYPE_BROADCAST, NDIS_PACKET_TYPE_DIRECTED,
    NDIS_PACKET_TYPE_MULTICAST, NDIS_PACKET_TYPE_PROMISCUOUS, NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED,
    NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED, NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED,
    NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED, NDIS_STATISTICS_BYTES_RCV_SUPPORTED,
    NDIS_STATISTICS_BYTES_XMIT_SUPPORTED, NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED,
    NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED, NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED,
    NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED, NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED,
    NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED, NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED,
    NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED, NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED,
    NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED, NDIS_STATISTICS_RCV_ERROR_SUPPORTED,
    NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED, NDIS_STATISTICS_RCV_OK_SUPPORTED,
    NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED, NDIS_STATISTICS_XMIT_ERROR_SUPPORTED,
    NDIS_STATISTICS_XMIT_OK_SUPPORTED,
};
use ndis_types::status::{
    NDIS_STATUS_ADAPTER_NOT_FOUND, NDIS_STATUS_RESOURCES, NDIS_STATUS_SUCCESS, NdisStatus,
};

/// The standard Ethernet MTU (`MtuSize` excludes the 14-byte header): the least a device must carry.
pub const STANDARD_MTU: u32 = vwire_proto::STANDARD_MTU as u32;
/// Nominal speed of the virtual wire, bits per second.
pub const MAX_LINK_SPEED: u64 = 10_000_000_000;
/// Packet filters the adapter can apply.
pub const SUPPORTED_PACKET_FILTERS: u32 = NDIS_PACKET_TYPE_DIRECTED
    | NDIS_PACKET_TYPE_MULTICAST
    | NDIS_PACKET_TYPE_ALL_MULTICAST
    | NDIS_PACKET_TYPE_BROADCAST
    | NDIS_PACKET_TYPE_PROMISCUOUS;
/// `NDIS_MAC_OPTION_NO_LOOPBACK`: NDIS loops back what a protocol must see of its own sends; the
/// miniport never does (Doc "Looping Back NDIS Packets"; `nc-ndis-miniport_send_net_buffer_lists`).
/// `NDIS_MAC_OPTION_8021P_PRIORITY` and `NDIS_MAC_OPTION_8021Q_VLAN` are added by
/// [`Adapter::mac_options`] when `*PriorityVLANTag` enables them (`vlan`).
pub const MAC_OPTIONS: u32 =
    NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND | NDIS_MAC_OPTION_NO_LOOPBACK;
/// Statistics the adapter keeps (`NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES.SupportedStatistics`):
/// every counter `OID_GEN_STATISTICS` reports valid (each of its 18 `NDIS_STATISTICS_INFO`
/// members), plus the OK and no-buffer counters of their own OIDs. Not kept: CRC errors, the
/// transmit queue length.
pub const SUPPORTED_STATISTICS: u32 = NDIS_STATISTICS_XMIT_OK_SUPPORTED
    | NDIS_STATISTICS_RCV_OK_SUPPORTED
    | NDIS_STATISTICS_XMIT_ERROR_SUPPORTED
    | NDIS_STATISTICS_RCV_ERROR_SUPPORTED
    | NDIS_STATISTICS_RCV_NO_BUFFER_SUPPORTED
    | NDIS_STATISTICS_DIRECTED_BYTES_XMIT_SUPPORTED
    | NDIS_STATISTICS_DIRECTED_FRAMES_XMIT_SUPPORTED
    | NDIS_STATISTICS_MULTICAST_BYTES_XMIT_SUPPORTED
    | NDIS_STATISTICS_MULTICAST_FRAMES_XMIT_SUPPORTED
    | NDIS_STATISTICS_BROADCAST_BYTES_XMIT_SUPPORTED
    | NDIS_STATISTICS_BROADCAST_FRAMES_XMIT_SUPPORTED
    | NDIS_STATISTICS_DIRECTED_BYTES_RCV_SUPPORTED
    | NDIS_STATISTICS_DIRECTED_FRAMES_RCV_SUPPORTED
    | NDIS_STATISTICS_MULTICAST_BYTES_RCV_SUPPORTED
    | NDIS_STATISTICS_MULTICAST_FRAMES_RCV_SUPPORTED
    | NDIS_STATISTICS_BROADCAST_BYTES_RCV_SUPPORTED
    | NDIS_STATISTICS_BROADCAST_FRAMES_RCV_SUPPORTED
    | NDIS_STATISTICS_BYTES_RCV_SUPPORTED
    | NDIS_STATISTICS_BYTES_XMIT_SUPPORTED
    | NDIS_STATISTICS_RCV_DISCARDS_SUPPORTED
    | NDIS_STATISTICS_XMIT_DISCARDS_SUPPORTED
    | NDIS_STATISTICS_GEN_STATISTICS_SUPPORTED;

/// Initialize an adapter; on success the `MiniportAdapterContext` NDIS will pass back.
pub fn initialize(
    miniport: NdisHandle,
    _init: &NdisMiniportInitParameters,
) -> Result<NdisHandle, NdisStatus> {
    let mut adapter = PoolBox::<Adapter>::new_zeroed(miniport, ADAPTER_TAG)?;
    adapter.miniport = miniport;
    adapter.initialize_locks();

    let registration = NdisMiniportAdapterRegistrationAttributes {
        Header: NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
            NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2,
            NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2,
        ),
        MiniportAdapterContext: adapter.handle(),
        // NDIS_WDM: the lower interface is a WDM bus, no hardware resources. SURPRISE_REMOVE_OK:
        // the bus can make the port vanish, and the adapter handles it. NO_HALT_ON_SUSPEND: across
        // a sleep NDIS pauses the adapter and sets D3 instead of halting it (`power`).
        AttributeFlags: NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM
            | NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK
            | NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND,
        // No MiniportCheckForHangEx is registered.
        CheckForHangTimeInSeconds: 0,
        InterfaceType: NDIS_INTERFACE_INTERNAL,
    };
    let status = sys::ndis_m_set_registration_attributes(miniport, &registration);
    if status != NDIS_STATUS_SUCCESS {
        return Err(status);
    }

    let settings = match Settings::read(miniport, &adapter.counters) {
        Ok(settings) => settings,
        Err(status) => {
            Adapter::release_resources(&mut adapter);
            return Err(status);
        }
    };
    let properties = sys::ndis_m_get_device_property(miniport);
    if let Err(status) = create_resources(&mut adapter, &properties, &settings) {
        Adapter::release_resources(&mut adapter);
        return Err(status);
    }

    let status = set_general_attributes(&adapter);
    if status != NDIS_STATUS_SUCCESS {
        Adapter::release_resources(&mut adapter);
        return Err(status);
    }
    Ok(adapter.into_handle())
}

fn create_resources(
    adapter: &mut PoolBox<Adapter>,
    properties: &DeviceProperty,
    settings: &Settings,
) -> Result<(), NdisStatus> {
    let context = adapter.handle();
    adapter.lower.create_device(properties, context)?;
    let routines = entry::completion_routines(adapter);
    let miniport = adapter.miniport;
    adapter.lower.create_requests(routines, miniport)?;
    adapter.max_queued_nbls = usize::try_from(settings.transmit_buffers).unwrap_or(usize::MAX);
    adapter.tagging = settings.tagging;
    adapter.speed_duplex = settings.speed_duplex;
    adapter.deferred = entry::allocate_deferred_work_item(adapter)?;

    // What the port below is: its address, MTU and batch limits, and its link right now.
    let device = adapter.lower.query_device()?;
    let link = adapter.lower.query_link()?;
    adapter.permanent_address = device.mac;
    adapter.current_address = settings.network_address.unwrap_or(device.mac);
    let max_batch_bytes = usize::try_from(device.max_batch_bytes).unwrap_or(usize::MAX);
    adapter.max_batch_bytes = max_batch_bytes.min(BATCH_BUFFER_SIZE);
    adapter.max_batch_frames = usize::from(device.max_batch_frames).min(vwire_proto::MAX_BATCH_FRAMES);
    // The largest MTU the port carries: its own, and what one record of its batch holds with a
    // header and a tag. Below the standard MTU the device is not an Ethernet port.
    let batch_mtu = vwire_proto::largest_frame_in(adapter.max_batch_bytes)
        .and_then(|frame| u32::try_from(frame).ok())
        .map_or(0, |frame| frame.saturating_sub(ETHERNET_HEADER.saturating_add(VLAN_TAG)));
    let port_mtu = u32::from(device.mtu).min(batch_mtu);
    if adapter.max_batch_frames == 0 || port_mtu < STANDARD_MTU {
        return Err(NDIS_STATUS_ADAPTER_NOT_FOUND);
    }
    // A `*JumboPacket` the port cannot carry is clamped to what it can, counted and logged like a
    // refused value: the adapter still starts, at the largest MTU that works.
    let wanted_mtu = settings.jumbo_packet.saturating_sub(ETHERNET_HEADER);
    adapter.mtu = if wanted_mtu <= port_mtu {
        wanted_mtu
    } else {
        reject_unsupported(miniport, &adapter.counters, &JUMBO_PACKET);
        port_mtu
    };
    // Receive NBLs describe the largest frame indicated: its tag is gone by then.
    let read_buffer = adapter.lower.reads.sample_buffer().ok_or(NDIS_STATUS_RESOURCES)?;
    let max_frame = adapter.max_total_size();
    adapter.receive.allocate(miniport, settings.receive_buffers, max_frame, read_buffer)?;
    let mut state = adapter.state.lock();
    state.link = Link::negotiate(&link, settings.speed_duplex);
    state.filter.address = adapter.current_address;
    state.filter.vlan_id = settings.vlan_id;
    Ok(())
}

fn set_general_attributes(adapter: &Adapter) -> NdisStatus {
    // NDIS 6.20+ wants PowerManagementCapabilitiesEx (Doc ns-ndis-_ndis_miniport_adapter_general_attributes):
    // no wake-up, no protocol offloads. NDIS copies it during the call.
    let mut pm = NdisPmCapabilities {
        Header: NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_DEFAULT,
            NDIS_PM_CAPABILITIES_REVISION_2,
            NDIS_SIZEOF_NDIS_PM_CAPABILITIES_REVISION_2,
        ),
        MinMagicPacketWakeUp: NDIS_DEVICE_STATE_UNSPECIFIED,
        MinPatternWakeUp: NDIS_DEVICE_STATE_UNSPECIFIED,
        MinLinkChangeWakeUp: NDIS_DEVICE_STATE_UNSPECIFIED,
        ..NdisPmCapabilities::default()
    };
    let mut permanent = [0u8; NDIS_MAX_PHYS_ADDRESS_LENGTH];
    let mut current = [0u8; NDIS_MAX_PHYS_ADDRESS_LENGTH];
    for (slot, byte) in permanent.iter_mut().zip(adapter.permanent_address) {
        *slot = byte;
    }
    for (slot, byte) in current.iter_mut().zip(adapter.current_address) {
        *slot = byte;
    }
    let link = adapter.state.lock().link;
    let media_connected = link.up;
    let speed = if link.up { link.speed_bps } else { NDIS_LINK_SPEED_UNKNOWN };
    let attributes = NdisMiniportAdapterGeneralAttributes {
        Header: NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
            NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2,
            NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2,
        ),
        Flags: 0,
        MediaType: NDIS_MEDIUM_802_3,
        PhysicalMediumType: NDIS_PHYSICAL_MEDIUM_802_3,
        MtuSize: adapter.mtu,
        MaxXmitLinkSpeed: MAX_LINK_SPEED,
        XmitLinkSpeed: speed,
        MaxRcvLinkSpeed: MAX_LINK_SPEED,
        RcvLinkSpeed: speed,
        MediaConnectState: if media_connected {
            MEDIA_CONNECT_STATE_CONNECTED
        } else {
            MEDIA_CONNECT_STATE_DISCONNECTED
        },
        MediaDuplexState: link.to_ndis().MediaDuplexState,
        LookaheadSize: adapter.max_total_size(),
        PowerManagementCapabilities: core::ptr::null_mut(),
        MacOptions: adapter.mac_options(),
        SupportedPacketFilters: SUPPORTED_PACKET_FILTERS,
        MaxMulticastListSize: MAX_MULTICAST_ADDRESSES as u32,
        MacAddressLength: ETH_LENGTH_OF_ADDRESS as u16,
        PermanentMacAddress: permanent,
        CurrentMacAddress: current,
        RecvScaleCapabilities: core::ptr::null_mut(),
        AccessType: NET_IF_ACCESS_BROADCAST,
        DirectionType: NET_IF_DIRECTION_SENDRECEIVE,
        ConnectionType: NET_IF_CONNECTION_DEDICATED,
        IfType: IF_TYPE_ETHERNET_CSMACD,
        IfConnectorPresent: TRUE,
        SupportedStatistics: SUPPORTED_STATISTICS,
        SupportedPauseFunctions: NDIS_PAUSE_FUNCTIONS_UNSUPPORTED,
        DataBackFillSize: 0,
        ContextBackFillSize: 0,
        SupportedOidList: adapter.supported_oids().as_ptr(),
        SupportedOidListLength: core::mem::size_of_val(adapter.supported_oids()) as u32,
        AutoNegotiationFlags: link.auto_negotiation_flags(),
        PowerManagementCapabilitiesEx: &mut pm,
    };
    sys::ndis_m_set_general_attributes(adapter.miniport, &attributes)
}
