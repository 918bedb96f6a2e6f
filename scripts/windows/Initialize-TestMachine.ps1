<#
.SYNOPSIS
    Prepares a Windows 10 2004+ / Windows 11 test machine to load the test-signed vwire_bus.sys and
    kmdf_miniport.sys: test signing on, the test certificate trusted.

.DESCRIPTION
    Idempotent; each step says whether it changed something or found it done.
    1. Checks elevation and the OS build (19041 or later: the INF floor, KMDF 1.31).
    2. Checks Secure Boot: test signing cannot be turned on while it is on (Confirm-SecureBootUEFI).
       Turn it off in the VM's firmware settings (Hyper-V: Settings > Security > Enable Secure Boot).
    3. `bcdedit /set testsigning on` (Microsoft page "The TESTSIGNING boot configuration option")
       unless the BCD already has it (`bcdedit /enum {current}`: testsigning Yes). Reports "already
       done" only when both the running boot (SystemStartOptions) and the BCD have it, and "reboot
       needed" when only the BCD has it.
    4. Imports WDRLocalTestCert.cer, the certificate wdk-build signed the packages with, into the
       LocalMachine "Root" and "TrustedPublisher" stores with `certutil -addstore` (Microsoft page
       "certutil": -addstore CertificateStoreName InFile; the machine store unless -user).
    5. Prints whether a reboot is needed.

.PARAMETER PackageDir
    A package folder holding WDRLocalTestCert.cer (for example target\debug\vwire_bus_package).
    Default: found like Install-VWire.ps1 finds the vwire_bus package.

.PARAMETER BuildProfile
    debug or release: which build's package holds the certificate. Default debug.

.PARAMETER Target
    Rust target triple of the build (x86_64-pc-windows-msvc, aarch64-pc-windows-msvc); empty for a
    build without --target.

.PARAMETER CertificatePath
    The .cer file to trust, instead of the one in the package folder.

.EXAMPLE
    .\Initialize-TestMachine.ps1
    Turns test signing on and trusts target\debug\vwire_bus_package\WDRLocalTestCert.cer.

.EXAMPLE
    .\Initialize-TestMachine.ps1 -CertificatePath C:\drop\WDRLocalTestCert.cer
    Packages built on another machine: trust the certificate copied with them.
#>
[CmdletBinding()]
param(
    [string]$PackageDir,
    [ValidateSet('debug', 'release')][string]$BuildProfile = 'debug',
    [string]$Target,
    [string]$CertificatePath
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'VWire.psm1') -Force

$rebootNeeded = $false

Write-VWireStep 'Checking elevation and the Windows build'
Assert-VWireAdmin
$build = Get-VWireOsBuild
if ($build -lt 19041) {
    throw "Windows build $build is below 19041 (Windows 10 2004), the floor of both INFs (KMDF 1.31 in-box, ExAllocatePool2)."
}
Write-VWireDone "elevated; Windows build $build"

Write-VWireStep 'Checking Secure Boot'
$secureBoot = $null
try {
    # Throws on a BIOS (non-UEFI) machine: no Secure Boot there.
    $secureBoot = Confirm-SecureBootUEFI
} catch {
    $secureBoot = $null
}
if ($secureBoot -eq $true) {
    throw ('Secure Boot is on. Windows refuses `bcdedit /set testsigning on` while it is on ' +
        '("The value is protected by Secure Boot policy"). Turn Secure Boot off in the firmware / VM ' +
        'settings (Hyper-V: VM Settings > Security > clear "Enable Secure Boot"), then rerun.')
} elseif ($secureBoot -eq $false) {
    Write-VWireDone 'Secure Boot is off'
} else {
    Write-VWireDone 'no UEFI Secure Boot on this machine (legacy BIOS or not reported)'
}

Write-VWireStep 'Test signing'
# Two states: the running boot (what the loader applied) and the BCD (what the next boot applies).
$runningBoot = Test-VWireTestSigningActive
$nextBoot = Test-VWireTestSigningNextBoot
if ($runningBoot -and $nextBoot -eq $true) {
    Write-VWireSkip 'test signing is on in the running boot and in the BCD (bcdedit /enum {current}: testsigning Yes)'
} elseif ($nextBoot -eq $true) {
    Write-VWireDone 'test signing is on for the next boot (BCD: testsigning Yes) but not in the running boot: reboot needed'
    $rebootNeeded = $true
} else {
    if ($null -eq $nextBoot) {
        Write-Host '    could not read testsigning from bcdedit /enum {current} (localized value?); setting it'
    }
    # Idempotent: setting the element again is harmless. Effective from the next boot.
    Invoke-VWireNative -FilePath 'bcdedit.exe' -ArgumentList @('/set', 'testsigning', 'on') | Out-Null
    if ($runningBoot) {
        Write-VWireDone 'bcdedit /set testsigning on: the running boot already has it, the next boots keep it'
    } else {
        Write-VWireDone 'bcdedit /set testsigning on (takes effect after a reboot)'
        $rebootNeeded = $true
    }
}

Write-VWireStep 'Trusting the test certificate'
if (-not $CertificatePath) {
    $package = Find-VWirePackage -Name vwire_bus -PackageDir $PackageDir -BuildProfile $BuildProfile -Target $Target
    $CertificatePath = $package.Certificate
}
if (-not (Test-Path -LiteralPath $CertificatePath)) {
    throw "Certificate not found: $CertificatePath (wdk-build copies WDRLocalTestCert.cer into every package folder)."
}
$thumbprint = Get-VWireCertificateThumbprint -Path $CertificatePath
foreach ($store in @('Root', 'TrustedPublisher')) {
    if (Test-Path -LiteralPath "Cert:\LocalMachine\$store\$thumbprint") {
        Write-VWireSkip "certificate $thumbprint is in LocalMachine\$store"
    } else {
        Invoke-VWireNative -FilePath 'certutil.exe' -ArgumentList @('-addstore', $store, $CertificatePath) | Out-Null
        Write-VWireDone "certificate $thumbprint added to LocalMachine\$store"
    }
}

Write-Host ''
if ($rebootNeeded) {
    Write-VWireNote 'REBOOT NEEDED: test signing takes effect at the next boot (Restart-Computer). Then run Install-VWire.ps1.'
} else {
    Write-VWireDone 'machine ready: no reboot needed. Next: Install-VWire.ps1.'
}
