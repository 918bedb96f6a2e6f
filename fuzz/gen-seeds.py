#!/usr/bin/env python3
"""Writes the small seed corpora of the byte-level targets (fuzz/corpus/<target>/seed-*) from valid
encodings, laid out as docs/lower-edge-protocol.md and crates/vwire-proto say. The structured
targets (hub_ops, bus_admin, oid_request, send_shapes, adapter_chaos) take `arbitrary` input: their
committed corpora are libFuzzer's own inputs, minimized with -merge=1 (docs/fuzzing.md)."""
import os, struct

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC, VERSION = 0x31425756, 1

def seed(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)

def batch(frames):
    body = b""
    for fr in frames:
        rec = struct.pack("<HH", len(fr), 0) + fr
        rec += b"\0" * (-len(rec) % 4)
        body += rec
    return struct.pack("<IHHII", MAGIC, VERSION, len(frames), 16 + len(body), 0) + body

def frame(n, fill=0x11):
    return b"\xff" * 6 + b"\x02\x76\x77\x00\x00\x01" + b"\x88\xb5" + bytes([fill]) * (n - 14)

seed("batch_parse", "empty", batch([]))
seed("batch_parse", "one-60", batch([frame(60)]))
seed("batch_parse", "runt-and-max", batch([frame(14), frame(1514, 0x22)]))
seed("batch_parse", "odd-padding", batch([frame(61), frame(63), frame(62)]))
seed("batch_parse", "trailing-bytes", batch([frame(60)]) + b"\xaa" * 8)

def header(length):
    return struct.pack("<HH", VERSION, length)

# control_decode: first byte selects the structure (0 header, 1 DeviceInfo, 2 PacketFilter,
# 3 MulticastList, 4 PortCounters, 5 LinkWait, 6 LinkState).
seed("control_decode", "header", b"\0" + header(8))
seed("control_decode", "packet-filter", b"\2" + header(8) + struct.pack("<I", 0x0B))
seed("control_decode", "link-wait", b"\5" + header(8) + struct.pack("<I", 3))
seed("control_decode", "link-wait-long", b"\5" + header(12) + struct.pack("<II", 3, 0))
seed("control_decode", "link-state", b"\6" + header(24) + struct.pack("<IBBHQQ", 2, 1, 1, 0, 10**10, 0)[:20])
seed("control_decode", "port-counters", b"\4" + header(80) + struct.pack("<I9Q", 0, *range(1, 10)))
mc = [b"\x01\x00\x5e\x00\x00\x01", b"\x33\x33\x00\x00\x00\x01"]
seed("control_decode", "multicast-2", b"\3" + header(8 + 6 * len(mc)) + struct.pack("<HH", len(mc), 0) + b"".join(mc))
seed("control_decode", "multicast-0", b"\3" + header(8) + struct.pack("<HH", 0, 0))
seed("control_decode", "device-info", b"\1" + header(20) + b"\x02\x76\x77\0\0\1" + b"\0" * 10)
