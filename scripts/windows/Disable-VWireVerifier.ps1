<#
.SYNOPSIS
    Turns off Driver Verifier and removes the KMDF verifier values of kmdf_miniport and vwire_bus.

.DESCRIPTION
    Idempotent.
    - `verifier /reset` (Microsoft page "Driver Verifier command syntax": clears all Driver Verifier
      settings; after the next boot no driver is verified). Note: this clears settings for every
      driver, not only these two.
    - Removes VerifierOn, TrackHandles, DbgBreakOnError and VerboseOn from
      HKLM\SYSTEM\CurrentControlSet\Services\<service>\Parameters\Wdf (the values
      Enable-VWireVerifier.ps1 writes), leaving the key and any other values.
    Prints that a reboot is needed.

.EXAMPLE
    .\Disable-VWireVerifier.ps1
    Then Restart-Computer.
#>
[CmdletBinding()]
param()
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'VWire.psm1') -Force
$c = Get-VWireConstant

Write-VWireStep 'Checking elevation'
Assert-VWireAdmin
Write-VWireDone 'elevated'

Write-VWireStep 'Driver Verifier'
# Exit code 2 = settings changed, reboot needed (see Enable-VWireVerifier.ps1).
Invoke-VWireNative -FilePath 'verifier.exe' -ArgumentList @('/reset') -AllowedExitCodes @(0, 2) | Out-Null
Write-VWireDone 'verifier /reset (no driver is verified after the next boot)'

Write-VWireStep 'KMDF verifier values'
foreach ($service in @($c.MiniportService, $c.BusService)) {
    $key = "HKLM:\SYSTEM\CurrentControlSet\Services\$service\Parameters\Wdf"
    foreach ($name in @('VerifierOn', 'TrackHandles', 'DbgBreakOnError', 'VerboseOn')) {
        if ((Test-Path -LiteralPath $key) -and ($null -ne (Get-ItemProperty -LiteralPath $key -Name $name -ErrorAction SilentlyContinue))) {
            Remove-ItemProperty -LiteralPath $key -Name $name
            Write-VWireDone "removed $service\Parameters\Wdf\$name"
        } else {
            Write-VWireSkip "$service\Parameters\Wdf\$name is not set"
        }
    }
}

Write-Host ''
Write-VWireNote 'REBOOT NEEDED: the drivers stay verified until the next boot (Restart-Computer).'
