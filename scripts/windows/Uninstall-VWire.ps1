<#
.SYNOPSIS
    Removes everything Install-VWire.ps1 and Add-VWirePorts.ps1 put on the machine: the ports, the
    devices, both driver packages and their services; optionally the test certificate and test signing.

.DESCRIPTION
    Idempotent; says what it removed and what was already gone, and fails if a vwire device or
    driver package is still there at the end.
    1. Removes the manually set IPv4 addresses from the vwire adapters (the smoke test's 192.0.2.1
       and 192.0.2.11; Remove-NetIPAddress). Then removes the present ports with `vwire-ctl remove-port <N>` (a surprise removal of each
       adapter, the path the driver must survive) when vwire-ctl and a running bus are there.
    2. Removes the port devices, then the bus's root device: `devgen /remove <instance ID>` for the
       device devgen created (Microsoft page "DevGen command syntax": only DevGen devices can be
       removed with DevGen), else `pnputil /remove-device <instance ID> /subtree` (Microsoft page
       "PnPUtil Command Syntax", Windows 10 2004+).
    3. Deletes every driver-store package whose original name is kmdf_miniport.inf or vwire_bus.inf,
       found in `pnputil /enum-drivers`: `pnputil /delete-driver oem<N>.inf /uninstall /force`.
    4. Deletes the two services (`sc.exe delete`), which also drops their Parameters\Wdf values.
    5. Removes firewall rules a stopped smoke test may have left (group "vwire smoke test").
    6. With -RemoveCertificate: deletes CN=WDRLocalTestCert from LocalMachine\Root and
       TrustedPublisher (`certutil -delstore <store> <thumbprint>`).
       With -DisableTestSigning: `bcdedit /set testsigning off` (reboot to apply).
    Driver Verifier settings are left alone: run Disable-VWireVerifier.ps1 for those.

.PARAMETER VWireCtl
    Path of vwire-ctl.exe (step 1 is skipped when it is not found).

.PARAMETER DevGen
    Path of devgen.exe (pnputil /remove-device is used when it is not found).

.PARAMETER RemoveCertificate
    Also remove the WDRLocalTestCert test certificate from the machine stores.

.PARAMETER DisableTestSigning
    Also turn test signing off.

.EXAMPLE
    .\Uninstall-VWire.ps1
.EXAMPLE
    .\Uninstall-VWire.ps1 -RemoveCertificate -DisableTestSigning
    Back to a machine without any trace of the test setup (after Disable-VWireVerifier.ps1 and a reboot).
#>
[CmdletBinding()]
param(
    [string]$VWireCtl,
    [string]$DevGen,
    [switch]$RemoveCertificate,
    [switch]$DisableTestSigning
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'VWire.psm1') -Force
$c = Get-VWireConstant
$rebootNeeded = $false

Write-VWireStep 'Checking elevation'
Assert-VWireAdmin
Write-VWireDone 'elevated'

Write-VWireStep 'Removing the IPv4 addresses on the vwire adapters'
# Invoke-VWireSmokeTest.ps1 leaves its test addresses (192.0.2.1, 192.0.2.11 by default) on the
# adapters; remove every manually set IPv4 address there, so no address outlives the adapter.
$manual = @(foreach ($adapter in @(Get-VWireAdapter)) {
        Get-NetIPAddress -InterfaceIndex $adapter.InterfaceIndex -AddressFamily IPv4 -ErrorAction SilentlyContinue |
            Where-Object { "$($_.PrefixOrigin)" -eq 'Manual' }
    })
if ($manual.Count -eq 0) { Write-VWireSkip 'no manual IPv4 address on a vwire adapter' }
foreach ($address in $manual) {
    Remove-NetIPAddress -InterfaceIndex $address.InterfaceIndex -IPAddress $address.IPAddress -Confirm:$false
    Write-VWireDone "$($address.IPAddress)/$($address.PrefixLength) removed from interface index $($address.InterfaceIndex)"
}

Write-VWireStep 'Removing the ports with vwire-ctl'
$ctl = $null
try { $ctl = Find-VWireCtl -Path $VWireCtl } catch { $ctl = $null }
$busRunning = @(Get-VWireBusDevice | Where-Object { $_.Present -and $_.Status -eq 'OK' }).Count -gt 0
$ports = @(Get-VWirePortDevice -PresentOnly | Where-Object { $null -ne $_.Port })
if ($ports.Count -eq 0) {
    Write-VWireSkip 'no port present'
} elseif (-not $busRunning -or -not $ctl) {
    Write-VWireNote 'vwire-ctl or a running bus missing: the ports go with their devices below'
} else {
    foreach ($port in $ports | Sort-Object Port) {
        $result = Invoke-VWireNative -FilePath $ctl -ArgumentList @('remove-port', "$($port.Port)") -IgnoreExitCode
        if ($result.ExitCode -eq 0) { Write-VWireDone "port $($port.Port) removed" }
        else { Write-VWireNote "vwire-ctl remove-port $($port.Port) exited $($result.ExitCode); its device is removed below" }
    }
    Wait-VWireCondition -TimeoutSeconds 30 -Condition { @(Get-VWirePortDevice -PresentOnly).Count -eq 0 } | Out-Null
}

Write-VWireStep 'Removing the devices'
# pnputil /remove-device exit codes: 0, or 3010 when a reboot completes the removal.
$devgenPath = $null
try { $devgenPath = Find-VWireDevGen -Path $DevGen } catch { $devgenPath = $null }
foreach ($device in @(Get-VWireDevice -HardwareId $c.PortHardwareId)) {
    $result = Invoke-VWireNative -FilePath 'pnputil.exe' -ArgumentList @('/remove-device', $device.InstanceId) -AllowedExitCodes @(0, 3010)
    if ($result.ExitCode -eq 3010) { $rebootNeeded = $true }
    Write-VWireDone "port device $($device.InstanceId) removed"
}
foreach ($device in @(Get-VWireBusDevice)) {
    $removed = $false
    if ($devgenPath) {
        $result = Invoke-VWireNative -FilePath $devgenPath -ArgumentList @('/remove', $device.InstanceId, '/subtree') -IgnoreExitCode
        $removed = ($result.ExitCode -eq 0)
    }
    if (-not $removed) {
        $result = Invoke-VWireNative -FilePath 'pnputil.exe' -ArgumentList @('/remove-device', $device.InstanceId, '/subtree') -AllowedExitCodes @(0, 3010)
        if ($result.ExitCode -eq 3010) { $rebootNeeded = $true }
    }
    Write-VWireDone "bus device $($device.InstanceId) removed"
}
$leftDevices = @(Get-VWireBusDevice) + @(Get-VWireDevice -HardwareId $c.PortHardwareId)
if (@(Get-VWireBusDevice).Count -eq 0 -and $leftDevices.Count -eq 0) { Write-VWireDone 'no vwire device left' }

Write-VWireStep 'Deleting the driver packages'
foreach ($inf in @($c.MiniportInf, $c.BusInf)) {
    $published = @(Get-VWireDriverPackage -OriginalName $inf)
    if ($published.Count -eq 0) {
        Write-VWireSkip "no $inf package in the driver store"
    }
    foreach ($oem in $published) {
        $result = Invoke-VWireNative -FilePath 'pnputil.exe' -ArgumentList @('/delete-driver', $oem, '/uninstall', '/force') -AllowedExitCodes @(0, 3010)
        if ($result.ExitCode -eq 3010) { $rebootNeeded = $true }
        Write-VWireDone "$oem ($inf) deleted"
    }
}

Write-VWireStep 'Deleting the services'
foreach ($service in @($c.MiniportService, $c.BusService)) {
    if (Test-Path -LiteralPath "HKLM:\SYSTEM\CurrentControlSet\Services\$service") {
        # 1072 = ERROR_SERVICE_MARKED_FOR_DELETE (still loaded; gone after the reboot).
        $result = Invoke-VWireNative -FilePath 'sc.exe' -ArgumentList @('delete', $service) -AllowedExitCodes @(0, 1072)
        if ($result.ExitCode -eq 1072) { $rebootNeeded = $true }
        Write-VWireDone "service $service deleted"
    } else {
        Write-VWireSkip "service $service does not exist"
    }
}

Write-VWireStep 'Smoke test firewall rules'
$rules = @(Get-NetFirewallRule -Group 'vwire smoke test' -ErrorAction SilentlyContinue)
if ($rules.Count -eq 0) { Write-VWireSkip 'none' }
foreach ($rule in $rules) { Remove-NetFirewallRule -Name $rule.Name; Write-VWireDone "removed $($rule.Name)" }

if ($RemoveCertificate) {
    Write-VWireStep 'Removing the test certificate'
    foreach ($store in @('Root', 'TrustedPublisher')) {
        $certs = @(Get-ChildItem -LiteralPath "Cert:\LocalMachine\$store" | Where-Object { $_.Subject -eq 'CN=WDRLocalTestCert' })
        if ($certs.Count -eq 0) { Write-VWireSkip "no WDRLocalTestCert in LocalMachine\$store" }
        foreach ($cert in $certs) {
            Invoke-VWireNative -FilePath 'certutil.exe' -ArgumentList @('-delstore', $store, $cert.Thumbprint) | Out-Null
            Write-VWireDone "WDRLocalTestCert $($cert.Thumbprint) removed from LocalMachine\$store"
        }
    }
}

if ($DisableTestSigning) {
    Write-VWireStep 'Test signing'
    Invoke-VWireNative -FilePath 'bcdedit.exe' -ArgumentList @('/set', 'testsigning', 'off') | Out-Null
    Write-VWireDone 'bcdedit /set testsigning off'
    if (Test-VWireTestSigningActive) { $rebootNeeded = $true }
}

Write-VWireStep 'Checking that nothing is left'
$left = @()
$left += @(Get-VWireBusDevice | ForEach-Object { "device $($_.InstanceId)" })
$left += @(Get-VWireDevice -HardwareId $c.PortHardwareId | ForEach-Object { "device $($_.InstanceId)" })
foreach ($inf in @($c.MiniportInf, $c.BusInf)) {
    $left += @(Get-VWireDriverPackage -OriginalName $inf | ForEach-Object { "driver package $_ ($inf)" })
}
if ($rebootNeeded) {
    Write-VWireNote 'REBOOT NEEDED to finish the removal (pnputil 3010, a service still loaded, or test signing).'
}
if ($left.Count -gt 0) {
    throw ('Still present: ' + ($left -join '; '))
}
Write-VWireDone 'no vwire device or driver package left'
