<#
.SYNOPSIS
    Collects what is needed to diagnose the vwire drivers into a timestamped folder (and a .zip).

.DESCRIPTION
    Read-only; safe to rerun (each run makes a new folder). Collects:
    - verifier /query (statistics of the drivers verified now) and verifier /querysettings;
    - windbg-commands.txt: the !ndiskd and !wdfkd commands to run on a dump or a live kernel debugger;
    - %windir%\INF\setupapi.dev.log (device installation log);
    - System event log entries of the last -Hours from the providers that report driver loading,
      PnP, bug checks and unexpected restarts, plus the Code Integrity operational log (signature
      failures) and the Microsoft-Windows-Kernel-PnP/Configuration log (events 400/410/411: device
      configured, started, problem starting), with Get-WinEvent -FilterHashtable (LogName,
      ProviderName, StartTime);
    - pnputil /enum-devices /instanceid <id> /ids /relations /drivers for the bus and port devices,
      and pnputil /enum-drivers;
    - Get-NetAdapter, Get-NetAdapterStatistics and Get-NetIPAddress for the vwire adapters;
    - the Parameters\Wdf values of both services, bcdedit /enum {current}, the minidumps written in
      the last -Hours.

.PARAMETER OutputRoot
    Where to create the vwire-logs-<timestamp> folder and its .zip (created if missing). Default:
    %TEMP%\vwire-logs, outside the repository the runbook runs the scripts from.

.PARAMETER Hours
    How far back to take event log entries and minidumps. Default 24.

.EXAMPLE
    .\Save-VWireLogs.ps1
.EXAMPLE
    .\Save-VWireLogs.ps1 -OutputRoot C:\logs -Hours 4
#>
[CmdletBinding()]
param(
    [string]$OutputRoot = (Join-Path $env:TEMP 'vwire-logs'),
    [ValidateRange(1, 720)][int]$Hours = 24
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'VWire.psm1') -Force
$c = Get-VWireConstant

Write-VWireStep 'Checking elevation'
Assert-VWireAdmin
$stamp = Get-Date -Format 'yyyyMMdd-HHmmss'
$out = Join-Path $OutputRoot "vwire-logs-$stamp"
New-Item -ItemType Directory -Path $out -Force | Out-Null
$since = (Get-Date).AddHours(-$Hours)
Write-VWireDone "writing to $out"

function Save-Native {
    param([string]$File, [string]$FilePath, [string[]]$ArgumentList)
    $result = Invoke-VWireNative -FilePath $FilePath -ArgumentList $ArgumentList -IgnoreExitCode -Quiet
    $header = "> $FilePath $($ArgumentList -join ' ')   (exit code $($result.ExitCode))"
    @($header, '') + $result.Output | Out-File -FilePath (Join-Path $out $File) -Encoding utf8 -Append
    Write-VWireDone "$File  ($header)"
}

Write-VWireStep 'Driver Verifier'
Save-Native -File 'verifier-query.txt' -FilePath 'verifier.exe' -ArgumentList @('/query')
Save-Native -File 'verifier-querysettings.txt' -FilePath 'verifier.exe' -ArgumentList @('/querysettings')

Write-VWireStep 'WinDbg command list'
@'
WinDbg commands for kmdf_miniport.sys / vwire_bus.sys (docs\windows-testing.md explains each).
Symbols: .sympath+ <package folder with kmdf_miniport.pdb and vwire_bus.pdb> ; .reload /f

--- First look at a crash dump ---------------------------------------------------------------
!analyze -v                          bug check code, parameters, faulting stack
lm m kmdf_miniport                   module loaded? timestamp matches the build?
lm m vwire_bus
!irql                                IRQL at the break (0xD1, 0xC4 IRQL rules)
!dpcwatchdog                         0x133: which DPC ran too long / cumulative DPC time
!verifier 3 kmdf_miniport.sys        Driver Verifier state and counters for the driver

--- NDIS (ndiskd.dll) ---------------------------------------------------------------------------
!ndiskd.help                         command list
!ndiskd.netadapter                   all adapters (start here); gives the handles below
!ndiskd.netadapter -handle <h> -diag auto-diagnosis alerts (stuck OIDs, pending NBLs, pause)
!ndiskd.netadapter -handle <h> -state
!ndiskd.netadapter -handle <h> -log  PnP / power event log of the adapter
!ndiskd.netadapter -handle <h> -ref  who holds references (halt that never finishes)
!ndiskd.miniport                     older name of !ndiskd.netadapter (same output)
!ndiskd.minidriver                   the miniport driver (kmdf_miniport) and its characteristics
!ndiskd.oid                          pending OID requests (NDIS verifier OID timeout)
!ndiskd.pendingnbls                  NBLs the driver owns (send never completed, return missing)
!ndiskd.nbl <address>                one NET_BUFFER_LIST: flags, owner, NBs, MDL chain
!ndiskd.nbl <address> -log           its history, when NBL tracking is on
!ndiskd.netreport                    diagram of the network stack

--- KMDF (wdfkd.dll) ----------------------------------------------------------------------------
!wdfkd.wdfhelp                       command list
!wdfkd.wdfldr                        KMDF version each driver bound to (1.31 wanted), WdfGlobals
!wdfkd.wdfdriverinfo kmdf_miniport   driver object, devices, verifier state
!wdfkd.wdfdriverinfo vwire_bus
!wdfkd.wdflogdump kmdf_miniport      In-flight Recorder: the framework's log for the driver (0x10D!)
!wdfkd.wdflogdump vwire_bus
!wdfkd.wdfcrashdump                  the IFR saved in a minidump
!wdfkd.wdfdevice <WDFDEVICE> ff      device state, PnP/power state machine history
!wdfkd.wdfchildlist <WDFCHILDLIST>   vwire bus: its ports (child descriptions)
!wdfkd.wdfiotarget <WDFIOTARGET>     miniport's target on the port PDO: state, sent requests
!wdfkd.wdfrequest <WDFREQUEST>       one request: owner, state, IRP
!wdfkd.wdfhandle <handle>            any framework handle -> object, references (TrackHandles)
!wdfkd.wdfqueue <WDFQUEUE>           bus queues: pending reads, link waits
'@ | Out-File -FilePath (Join-Path $out 'windbg-commands.txt') -Encoding utf8
Write-VWireDone 'windbg-commands.txt'

Write-VWireStep 'Device installation log'
$setupapi = Join-Path $env:windir 'INF\setupapi.dev.log'
if (Test-Path -LiteralPath $setupapi) {
    Copy-Item -LiteralPath $setupapi -Destination $out
    Write-VWireDone 'setupapi.dev.log'
} else {
    Write-VWireNote "$setupapi not found"
}

Write-VWireStep "Event logs since $since"
$systemProviders = @(
    'Microsoft-Windows-Kernel-PnP',          # device start / problem events
    'Microsoft-Windows-UserPnp',             # driver installation (DeviceSetupManager / setup events)
    'Service Control Manager',               # 7000/7026: a driver failed to load
    'Microsoft-Windows-WER-SystemErrorReporting', # 1001: rebooted from a bug check
    'EventLog',                              # 6008: unexpected shutdown
    'Microsoft-Windows-Kernel-Power',        # 41: rebooted without clean shutdown
    'Microsoft-Windows-NDIS',
    $c.MiniportService,
    $c.BusService
)
$events = @()
foreach ($provider in $systemProviders) {
    try {
        $events += @(Get-WinEvent -FilterHashtable @{ LogName = 'System'; ProviderName = $provider; StartTime = $since } -ErrorAction Stop)
    } catch {
        # No events, or no such provider on this machine: nothing to collect.
    }
}
$events | Sort-Object TimeCreated | Format-List TimeCreated, ProviderName, Id, LevelDisplayName, Message |
    Out-File -FilePath (Join-Path $out 'system-events.txt') -Encoding utf8 -Width 400
Write-VWireDone ("system-events.txt ({0} entries)" -f $events.Count)
try {
    $ci = @(Get-WinEvent -FilterHashtable @{ LogName = 'Microsoft-Windows-CodeIntegrity/Operational'; StartTime = $since } -ErrorAction Stop)
} catch {
    $ci = @()
}
$ci | Format-List TimeCreated, Id, LevelDisplayName, Message |
    Out-File -FilePath (Join-Path $out 'codeintegrity-events.txt') -Encoding utf8 -Width 400
Write-VWireDone ("codeintegrity-events.txt ({0} entries)" -f $ci.Count)
# Kernel-PnP's own channel: per device, 400 (configured: which INF and driver rank), 410 (started,
# with the driver service) and 411 (problem starting, with the problem code and status): the detail
# behind a Code 10, 39 or 52.
try {
    $pnp = @(Get-WinEvent -FilterHashtable @{ LogName = 'Microsoft-Windows-Kernel-PnP/Configuration'; StartTime = $since } -ErrorAction Stop)
} catch {
    # No events in the window (Get-WinEvent throws "No events were found"), or no such log.
    $pnp = @()
}
$pnp | Sort-Object TimeCreated | Format-List TimeCreated, Id, LevelDisplayName, Message |
    Out-File -FilePath (Join-Path $out 'kernel-pnp-configuration-events.txt') -Encoding utf8 -Width 400
Write-VWireDone ("kernel-pnp-configuration-events.txt ({0} entries)" -f $pnp.Count)

Write-VWireStep 'Devices and driver packages'
$devices = @(Get-VWireBusDevice) + @(Get-VWireDevice -HardwareId $c.PortHardwareId)
foreach ($device in $devices) {
    Save-Native -File 'pnputil-devices.txt' -FilePath 'pnputil.exe' -ArgumentList @('/enum-devices', '/instanceid', $device.InstanceId, '/ids', '/relations', '/drivers')
}
if ($devices.Count -eq 0) { 'no vwire devices' | Out-File -FilePath (Join-Path $out 'pnputil-devices.txt') -Encoding utf8 }
Save-Native -File 'pnputil-drivers.txt' -FilePath 'pnputil.exe' -ArgumentList @('/enum-drivers')
@(Get-VWirePortDevice) | Format-Table -AutoSize | Out-File -FilePath (Join-Path $out 'ports.txt') -Encoding utf8 -Width 400
Write-VWireDone 'ports.txt'

Write-VWireStep 'Network adapters'
$adapters = @(Get-VWireAdapter)
$adapters | Format-Table -AutoSize | Out-File -FilePath (Join-Path $out 'adapters.txt') -Encoding utf8 -Width 400
foreach ($adapter in $adapters) {
    Get-NetAdapter -InterfaceIndex $adapter.InterfaceIndex | Format-List * |
        Out-File -FilePath (Join-Path $out 'adapters.txt') -Encoding utf8 -Width 400 -Append
    Get-NetAdapterStatistics -Name $adapter.Name -ErrorAction SilentlyContinue | Format-List * |
        Out-File -FilePath (Join-Path $out 'adapters.txt') -Encoding utf8 -Width 400 -Append
    Get-NetIPAddress -InterfaceIndex $adapter.InterfaceIndex -ErrorAction SilentlyContinue | Format-Table -AutoSize |
        Out-File -FilePath (Join-Path $out 'adapters.txt') -Encoding utf8 -Width 400 -Append
}
Write-VWireDone ("adapters.txt ({0} adapters)" -f $adapters.Count)

Write-VWireStep 'Configuration'
foreach ($service in @($c.MiniportService, $c.BusService)) {
    $key = "HKLM:\SYSTEM\CurrentControlSet\Services\$service\Parameters\Wdf"
    "[$key]" | Out-File -FilePath (Join-Path $out 'wdf-parameters.txt') -Encoding utf8 -Append
    if (Test-Path -LiteralPath $key) {
        Get-ItemProperty -LiteralPath $key | Format-List | Out-File -FilePath (Join-Path $out 'wdf-parameters.txt') -Encoding utf8 -Append
    } else {
        'not present' | Out-File -FilePath (Join-Path $out 'wdf-parameters.txt') -Encoding utf8 -Append
    }
}
Write-VWireDone 'wdf-parameters.txt'
Save-Native -File 'bcdedit.txt' -FilePath 'bcdedit.exe' -ArgumentList @('/enum', '{current}')

Write-VWireStep 'Crash dumps'
$minidumps = @(Get-ChildItem -LiteralPath (Join-Path $env:windir 'Minidump') -Filter '*.dmp' -ErrorAction SilentlyContinue |
        Where-Object { $_.LastWriteTime -ge $since })
if ($minidumps.Count -gt 0) {
    $dumpDir = Join-Path $out 'Minidump'
    New-Item -ItemType Directory -Path $dumpDir -Force | Out-Null
    $minidumps | Copy-Item -Destination $dumpDir
}
$memoryDmp = Join-Path $env:windir 'MEMORY.DMP'
$note = if (Test-Path -LiteralPath $memoryDmp) { "kernel dump present (not copied): $memoryDmp, $((Get-Item -LiteralPath $memoryDmp).LastWriteTime)" } else { 'no MEMORY.DMP' }
$note | Out-File -FilePath (Join-Path $out 'dumps.txt') -Encoding utf8
Write-VWireDone ("{0} minidump(s) copied; {1}" -f $minidumps.Count, $note)

Write-VWireStep 'Archive'
$zip = "$out.zip"
Compress-Archive -Path (Join-Path $out '*') -DestinationPath $zip -Force
Write-VWireDone "$zip"
