<#
.SYNOPSIS
    Makes the vwire bus have at least -Count ports, each with a started kmdf_miniport network
    adapter, and prints the adapters' names and MAC addresses.

.DESCRIPTION
    Idempotent: counts the ports present now (the bus starts with two) and runs `vwire-ctl add-port`
    only for the missing ones; each prints "port N added, MAC ..." (crates\vwire-ctl). Then waits
    until Get-NetAdapter shows an adapter for every port. vwire-ctl opens the bus's control
    interface, which the INF restricts to Administrators and SYSTEM, hence the elevation check.

.PARAMETER Count
    How many ports (and adapters) there must be. Default 2.

.PARAMETER VWireCtl
    Path of vwire-ctl.exe. Default: PATH, then the newest of <target>\release, <target>\debug,
    <target>\<triple>\<profile> and the CI artifact layout <repo>\packages\<triple>-<profile>.

.PARAMETER TimeoutSeconds
    How long to wait for the adapters. Default 60.

.EXAMPLE
    .\Add-VWirePorts.ps1
    Two ports (the bus's initial ones): prints them, adds nothing.

.EXAMPLE
    .\Add-VWirePorts.ps1 -Count 4
    Adds two more ports and waits for their adapters.
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 64)][int]$Count = 2,
    [string]$VWireCtl,
    [int]$TimeoutSeconds = 60
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'VWire.psm1') -Force

Write-VWireStep 'Checking prerequisites'
Assert-VWireAdmin
$ctl = Find-VWireCtl -Path $VWireCtl
if (@(Get-VWireBusDevice | Where-Object { $_.Present -and $_.Status -eq 'OK' }).Count -eq 0) {
    throw 'No started vwire bus device: run Install-VWire.ps1 first.'
}
Write-VWireDone "vwire bus running; vwire-ctl: $ctl"

Write-VWireStep "Making sure there are $Count port(s)"
$present = @(Get-VWirePortDevice -PresentOnly)
$missing = $Count - $present.Count
if ($missing -le 0) {
    Write-VWireSkip ("{0} port(s) present: {1}" -f $present.Count, (($present | Sort-Object Port | ForEach-Object { $_.Port }) -join ', '))
} else {
    for ($i = 0; $i -lt $missing; $i++) {
        $result = Invoke-VWireNative -FilePath $ctl -ArgumentList @('add-port')
        Write-VWireDone ($result.Output -join ' ')
    }
}

Write-VWireStep 'Waiting for a network adapter on every port'
$ok = Wait-VWireCondition -TimeoutSeconds $TimeoutSeconds -Condition {
    $ports = @(Get-VWirePortDevice -PresentOnly)
    $adapters = @(Get-VWireAdapter)
    $ports.Count -ge $Count -and $adapters.Count -ge $ports.Count
}
$adapters = @(Get-VWireAdapter | Sort-Object Port)
$adapters | Format-Table -AutoSize Port, Name, InterfaceIndex, MacAddress, Status, InterfaceDescription | Out-Host
if (-not $ok) {
    foreach ($port in @(Get-VWirePortDevice -PresentOnly)) {
        Write-Host ("    port {0}: {1}  status {2}  problem code {3}" -f $port.Port, $port.InstanceId, $port.Status, $port.Problem)
    }
    throw (("Only {0} adapter(s) appeared for {1} wanted port(s) within {2} s: see the problem codes above " +
            "and docs\windows-testing.md, Troubleshooting.") -f $adapters.Count, $Count, $TimeoutSeconds)
}
Write-VWireDone ("{0} adapter(s) ready" -f $adapters.Count)
