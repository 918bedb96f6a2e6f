<#
.SYNOPSIS
    Prepares a Windows 10 2004+ / Windows 11 test machine to load the test-signed vwire_bus.sys and
    kmdf_miniport.sys: test signing on, the test certificate trusted.

.DESCRIPTION
    Idempotent; each step says whether it changed something or found it done.
    1. Checks elevation and the OS build (19041 or later: the INF floor, KMDF 1.31).
    2. Checks Secure Boot: test signing cannot be turned on while it is on (Confirm-SecureBootUEFI).
       Turn it off in the VM's firmware settings (Hyper-V: Settings > Security > Enable Secure Boot),
       after `Suspend-BitLocker -MountPoint C: -RebootCount 1` when BitLocker / device encryption
       protects the system drive (a Windows 11 VM with a vTPM): changing Secure Boot otherwise makes
       the next boot ask for the recovery key.
    3. `bcdedit /set testsigning on` (Microsoft page "The TESTSIGNING boot configuration option")
       unless the BCD already has it (`bcdedit /enum {current}`: testsigning Yes). Reports "already
       done" only when both the running boot (SystemStartOptions) and the BCD have it, and "reboot
       needed" when only the BCD has it. Before changing the BCD it suspends BitLocker on the system
       drive for one restart when its protection is on (Suspend-BitLocker -RebootCount 1).
    4. Imports WDRLocalTestCert.cer, the certificate wdk-build signed the packages with, into the
       LocalMachine "Root" and "TrustedPublisher" stores with `certutil -addstore` (Microsoft page
       "certutil": -addstore CertificateStoreName InFile; the machine store unless -user).
    5. Prints whether a reboot is needed.

.PARAMETER PackageDir
    The folder that holds both package folders (vwire_bus_package, kmdf_miniport_package), as for
    Install-VWire.ps1: target\[<triple>\]<profile> of a build, or <triple>-<profile> of the CI artifact
    (packages\<triple>-<profile>). The certificate is taken from its vwire_bus_package
    (a vwire_bus_package folder itself is accepted too). Default: found like Install-VWire.ps1 finds
    the vwire_bus package.

.PARAMETER BuildProfile
    debug or release: which build's package holds the certificate. Default debug.

.PARAMETER Target
    Rust target triple of the build (x86_64-pc-windows-msvc, aarch64-pc-windows-msvc); empty for a
    build without --target.

.PARAMETER CertificatePath
    The .cer file to trust, instead of the one in the package folder (a relative path is taken from
    the current location).

.EXAMPLE
    .\Initialize-TestMachine.ps1
    Turns test signing on and trusts target\debug\vwire_bus_package\WDRLocalTestCert.cer.

.EXAMPLE
    .\Initialize-TestMachine.ps1 -CertificatePath C:\drop\WDRLocalTestCert.cer
    Packages built on another machine: trust the certificate copied with them.

.EXAMPLE
    .\Initialize-TestMachine.ps1 -PackageDir C:\drop\x86_64-pc-windows-msvc-release
    A CI artifact (driver-packages-<triple>-<profile>) extracted to C:\drop.
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

function Suspend-SystemDriveBitLocker {
    # BitLocker (or Windows 11 device encryption, e.g. on a VM with a vTPM) checks at boot that the
    # security-sensitive BCD settings did not change since it was last resumed (Microsoft page "Boot
    # Configuration Data settings and BitLocker"); changing testsigning would ask for the recovery key.
    # Suspend-BitLocker -RebootCount 1 skips that check for one restart and resumes after it (Microsoft
    # page "Suspend-BitLocker"); "BCD Boot Options Reference" notes that BitLocker may need to be
    # suspended before bcdedit /set. Without the BitLocker module (editions without it) nothing to do.
    $volume = $null
    if (Get-Command 'Get-BitLockerVolume' -ErrorAction SilentlyContinue) {
        try {
            $volume = @(Get-BitLockerVolume -MountPoint $env:SystemDrive -ErrorAction Stop)[0]
        } catch {
            $volume = $null
        }
    }
    if ($null -eq $volume) {
        Write-VWireDone "BitLocker status of $env:SystemDrive not available (no BitLocker module or volume): nothing to suspend"
    } elseif ("$($volume.ProtectionStatus)" -eq 'On') {
        Suspend-BitLocker -MountPoint $env:SystemDrive -RebootCount 1 | Out-Null
        Write-VWireDone "BitLocker on $env:SystemDrive suspended for one restart (Suspend-BitLocker -RebootCount 1), so the BCD change does not ask for the recovery key; it resumes by itself after the reboot"
    } else {
        Write-VWireDone "BitLocker protection on $env:SystemDrive is $($volume.ProtectionStatus): nothing to suspend"
    }
}

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
        '("The value is protected by Secure Boot policy"). With BitLocker / device encryption on ' +
        "$env:SystemDrive, first run ``Suspend-BitLocker -MountPoint $env:SystemDrive -RebootCount 1`` " +
        '(turning Secure Boot off otherwise asks for the recovery key at the next boot). Then shut the ' +
        'VM down, turn Secure Boot off in the firmware / VM settings (Hyper-V: VM Settings > Security > ' +
        'clear "Enable Secure Boot"), start it and rerun.')
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
    Suspend-SystemDriveBitLocker
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
    # -PackageDir names the folder holding both packages, as for Install-VWire.ps1.
    $busDir = $PackageDir
    if ($PackageDir -and (Test-Path -LiteralPath (Join-Path $PackageDir 'vwire_bus_package'))) {
        $busDir = Join-Path $PackageDir 'vwire_bus_package'
    }
    $package = Find-VWirePackage -Name vwire_bus -PackageDir $busDir -BuildProfile $BuildProfile -Target $Target
    $CertificatePath = $package.Certificate
}
if (-not (Test-Path -LiteralPath $CertificatePath)) {
    throw "Certificate not found: $CertificatePath (wdk-build copies WDRLocalTestCert.cer into every package folder)."
}
# X509Certificate2 resolves a relative path against the process's working directory, which is not
# PowerShell's current location: make it absolute here.
$CertificatePath = (Resolve-Path -LiteralPath $CertificatePath).Path
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
