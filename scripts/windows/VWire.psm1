<#
.SYNOPSIS
    Shared helpers for the vwire / kmdf_miniport test scripts in scripts\windows.

.DESCRIPTION
    Imported by every script in this folder (Import-Module "$PSScriptRoot\VWire.psm1"). Runs on
    Windows PowerShell 5.1 and PowerShell 7. Holds the facts about the two drivers that the INX files
    define (service names, hardware IDs, INF names) and the common steps: printing, the elevation
    check, running a native command and failing on its exit code, finding the driver packages that
    `cargo make` produces, finding vwire-ctl.exe and devgen.exe, and listing the vwire devices and
    network adapters.
#>

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# --- Facts from inx\vwire_bus.inx, inx\kmdf_miniport.inx and crates\vwire-proto\src\admin.rs -------
$script:BusHardwareId = 'Root\VWireBus'
# The child PDO's hardware ID; PnP builds the instance ID <this>\<uniquified port number>.
$script:PortHardwareId = '{d25fba69-e1db-424d-b06c-dd93052ef851}\VWirePort'
$script:BusService = 'vwire_bus'
$script:MiniportService = 'kmdf_miniport'
$script:BusInf = 'vwire_bus.inf'
$script:MiniportInf = 'kmdf_miniport.inf'
$script:TestCertificateFile = 'WDRLocalTestCert.cer'
# "vwire bus, port N": the location text the bus gives each child (WdfPdoInitAddDeviceText in
# crates\vwire-bus\src\sys\windows\pdo.rs); PnP stores it as DEVPKEY_Device_LocationInfo.
$script:PortLocationPattern = '^vwire bus, port (\d+)$'

function Get-VWireConstant {
    <#
    .SYNOPSIS
        The driver facts above, as one object.
    #>
    [PSCustomObject]@{
        BusHardwareId       = $script:BusHardwareId
        PortHardwareId      = $script:PortHardwareId
        BusService          = $script:BusService
        MiniportService     = $script:MiniportService
        BusInf              = $script:BusInf
        MiniportInf         = $script:MiniportInf
        TestCertificateFile = $script:TestCertificateFile
    }
}

# --- Printing -------------------------------------------------------------------------------------
function Write-VWireStep {
    <# .SYNOPSIS Prints the start of a step. #>
    param([Parameter(Mandatory)][string]$Message)
    Write-Host "==> $Message" -ForegroundColor Cyan
}

function Write-VWireDone {
    <# .SYNOPSIS Prints what a step did. #>
    param([Parameter(Mandatory)][string]$Message)
    Write-Host "    done: $Message" -ForegroundColor Green
}

function Write-VWireSkip {
    <# .SYNOPSIS Prints that a step had nothing to do (already done). #>
    param([Parameter(Mandatory)][string]$Message)
    Write-Host "    already done: $Message" -ForegroundColor DarkGreen
}

function Write-VWireNote {
    <# .SYNOPSIS Prints something the user must act on (a reboot, a missing prerequisite). #>
    param([Parameter(Mandatory)][string]$Message)
    Write-Host "    NOTE: $Message" -ForegroundColor Yellow
}

# --- Elevation ------------------------------------------------------------------------------------
function Test-VWireAdmin {
    <# .SYNOPSIS True when the current process runs elevated (Administrators token). #>
    $identity = [Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object Security.Principal.WindowsPrincipal($identity)
    return $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
}

function Assert-VWireAdmin {
    <# .SYNOPSIS Stops with a clear message unless the process runs elevated. #>
    if (-not (Test-VWireAdmin)) {
        throw ('This script must run elevated: open PowerShell with "Run as administrator" ' +
            '(pnputil, devgen, bcdedit, verifier, certificate stores under LocalMachine and the ' +
            'vwire bus interface all require Administrators).')
    }
}

# --- Native commands ------------------------------------------------------------------------------
function Invoke-VWireNative {
    <#
    .SYNOPSIS
        Runs a native program, echoes the command and its output, and throws when its exit code is
        not one of the allowed ones.
    .PARAMETER FilePath
        Program to run (name on PATH or full path).
    .PARAMETER ArgumentList
        Arguments, one array element each (PowerShell quotes elements that contain spaces).
    .PARAMETER AllowedExitCodes
        Exit codes that count as success. Default 0.
    .PARAMETER IgnoreExitCode
        Accept any exit code (the caller inspects ExitCode).
    .PARAMETER Quiet
        Do not echo the output (it is still returned).
    .OUTPUTS
        PSCustomObject with ExitCode and Output (array of lines).
    #>
    param(
        [Parameter(Mandatory)][string]$FilePath,
        [string[]]$ArgumentList = @(),
        [int[]]$AllowedExitCodes = @(0),
        [switch]$IgnoreExitCode,
        [switch]$Quiet
    )
    Write-Host ("    > {0} {1}" -f $FilePath, ($ArgumentList -join ' ')) -ForegroundColor DarkGray
    # A program that is not there would fail below with no exit code, and under StrictMode reading an
    # unset $LASTEXITCODE is an error that hides the cause: check first and say what is missing.
    try {
        Get-Command $FilePath -ErrorAction Stop | Out-Null
    } catch {
        throw "Program not found: $FilePath (not a file, and not on PATH)."
    }
    # 2>&1 folds stderr into the output; native stderr lines arrive as ErrorRecords, turned into text
    # here so that $ErrorActionPreference = 'Stop' does not treat them as terminating errors.
    $previous = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $output = @(& $FilePath @ArgumentList 2>&1 | ForEach-Object { "$_" })
        $code = $LASTEXITCODE
    } finally {
        $ErrorActionPreference = $previous
    }
    if (-not $Quiet) {
        foreach ($line in $output) { Write-Host "      $line" }
    }
    if (-not $IgnoreExitCode -and ($AllowedExitCodes -notcontains $code)) {
        throw ("'{0} {1}' failed with exit code {2}." -f $FilePath, ($ArgumentList -join ' '), $code)
    }
    [PSCustomObject]@{ ExitCode = $code; Output = $output }
}

# --- Locating the build output --------------------------------------------------------------------
function Get-VWireRepoRoot {
    <# .SYNOPSIS The repository root (two levels above scripts\windows). #>
    (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path
}

function Get-VWireTargetDir {
    <#
    .SYNOPSIS
        Cargo's target directory: CARGO_TARGET_DIR when set, else <repo>\target.
    #>
    if ($env:CARGO_TARGET_DIR) { return $env:CARGO_TARGET_DIR }
    return (Join-Path (Get-VWireRepoRoot) 'target')
}

function Find-VWirePackage {
    <#
    .SYNOPSIS
        Finds the driver package folder wdk-build's package-driver-flow wrote:
        <target>\[<triple>\]<profile>\<name>_package, holding <name>.inf, .sys and .cat.
    .PARAMETER Name
        kmdf_miniport or vwire_bus.
    .PARAMETER PackageDir
        Use this folder instead of searching.
    .PARAMETER BuildProfile
        debug or release.
    .PARAMETER Target
        Rust target triple the package was built for (x86_64-pc-windows-msvc,
        aarch64-pc-windows-msvc); empty for a build without --target.
    #>
    param(
        [Parameter(Mandatory)][ValidateSet('kmdf_miniport', 'vwire_bus')][string]$Name,
        [string]$PackageDir,
        [ValidateSet('debug', 'release')][string]$BuildProfile = 'debug',
        [string]$Target
    )
    if ($PackageDir) {
        $candidates = @($PackageDir)
    } else {
        $root = Get-VWireTargetDir
        $candidates = @()
        if ($Target) {
            $candidates += Join-Path $root "$Target\$BuildProfile\${Name}_package"
        } else {
            $candidates += Join-Path $root "$BuildProfile\${Name}_package"
            # cargo make --target <triple> puts it one level deeper; take the one for this machine.
            $triple = Get-VWireMachineTriple
            $candidates += Join-Path $root "$triple\$BuildProfile\${Name}_package"
        }
    }
    foreach ($dir in $candidates) {
        $inf = Join-Path $dir "$Name.inf"
        $sys = Join-Path $dir "$Name.sys"
        $cat = Join-Path $dir "$Name.cat"
        if ((Test-Path -LiteralPath $inf) -and (Test-Path -LiteralPath $sys) -and (Test-Path -LiteralPath $cat)) {
            return [PSCustomObject]@{
                Name        = $Name
                Directory   = (Resolve-Path -LiteralPath $dir).Path
                Inf         = (Resolve-Path -LiteralPath $inf).Path
                Sys         = (Resolve-Path -LiteralPath $sys).Path
                Catalog     = (Resolve-Path -LiteralPath $cat).Path
                Certificate = Join-Path (Resolve-Path -LiteralPath $dir).Path $script:TestCertificateFile
            }
        }
    }
    throw ("No complete $Name package ($Name.inf, .sys, .cat) in: " + ($candidates -join '; ') +
        '. Build it with `cargo make` (add --profile release / --target <triple> to match), or pass -PackageDir.')
}

function Get-VWireMachineTriple {
    <# .SYNOPSIS The Rust target triple of this machine (aarch64-pc-windows-msvc on ARM64, else x86_64-pc-windows-msvc). #>
    if ($env:PROCESSOR_ARCHITECTURE -eq 'ARM64') { 'aarch64-pc-windows-msvc' } else { 'x86_64-pc-windows-msvc' }
}

function Find-VWireCtl {
    <#
    .SYNOPSIS
        Path to vwire-ctl.exe: the given path, else on PATH, else the newest (LastWriteTime) of the
        builds found: <target>\release and \debug (cargo build [--release] -p vwire-ctl),
        <target>\<triple>\release and \debug (with --target <triple>, this machine's triple), and the
        CI artifact layout <repo>\packages\<triple>-<profile>\vwire-ctl.exe, next to the *_package
        folders (.github/workflows/windows.yml copies it there).
    #>
    param([string]$Path)
    if ($Path) {
        if (-not (Test-Path -LiteralPath $Path)) { throw "vwire-ctl not found at $Path" }
        return (Resolve-Path -LiteralPath $Path).Path
    }
    $onPath = Get-Command 'vwire-ctl.exe' -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    $root = Get-VWireTargetDir
    $triple = Get-VWireMachineTriple
    $candidates = @(
        "$root\release\vwire-ctl.exe", "$root\debug\vwire-ctl.exe",
        "$root\$triple\release\vwire-ctl.exe", "$root\$triple\debug\vwire-ctl.exe")
    $found = @($candidates | Where-Object { Test-Path -LiteralPath $_ } | ForEach-Object { Get-Item -LiteralPath $_ })
    $artifacts = Join-Path (Get-VWireRepoRoot) 'packages'
    if (Test-Path -LiteralPath $artifacts) {
        $found += @(Get-ChildItem -LiteralPath $artifacts -Directory -Filter "$triple-*" -ErrorAction SilentlyContinue |
                ForEach-Object { Join-Path $_.FullName 'vwire-ctl.exe' } |
                Where-Object { Test-Path -LiteralPath $_ } | ForEach-Object { Get-Item -LiteralPath $_ })
    }
    if ($found.Count -gt 0) {
        return @($found | Sort-Object LastWriteTime -Descending)[0].FullName
    }
    throw ('vwire-ctl.exe not found (PATH, target\release, target\debug, target\' + $triple + '\<profile>, ' +
        'packages\' + $triple + '-<profile>). Build it: `cargo build --release -p vwire-ctl`, or pass ' +
        '-VWireCtl <path> (a CI artifact has it next to the *_package folders).')
}

function Find-VWireDevGen {
    <#
    .SYNOPSIS
        Path to devgen.exe. Microsoft page "DevGen command syntax": DevGen.exe is in the tools folder
        of the WDK starting with Windows 11, version 22H2 (<kit>\Tools\<version>\<arch>\devgen.exe).
        Looked up: the given path, PATH, the eWDK's %WDKContentRoot% (set by LaunchBuildEnv.cmd), an
        installed WDK under %ProgramFiles(x86)%\Windows Kits\10, then <drive>:\Program Files\Windows
        Kits\10 on every ready drive letter (a mounted eWDK ISO when no eWDK prompt set
        %WDKContentRoot%); within a kit the newest Tools\<version> wins.
    #>
    param([string]$Path)
    if ($Path) {
        if (-not (Test-Path -LiteralPath $Path)) { throw "devgen not found at $Path" }
        return (Resolve-Path -LiteralPath $Path).Path
    }
    $onPath = Get-Command 'devgen.exe' -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    $arch = if ($env:PROCESSOR_ARCHITECTURE -eq 'ARM64') { 'arm64' } else { 'x64' }
    $roots = @()
    if ($env:WDKContentRoot) { $roots += $env:WDKContentRoot }
    $programFilesX86 = [Environment]::GetFolderPath('ProgramFilesX86')
    if ($programFilesX86) { $roots += Join-Path $programFilesX86 'Windows Kits\10' }
    # Only the eWDK ISO mounted (no LaunchBuildEnv.cmd in this window): its kit is at the drive's root.
    # Drive letters only; a drive that is not ready (an empty DVD drive) is skipped.
    foreach ($drive in @(Get-PSDrive -PSProvider FileSystem -ErrorAction SilentlyContinue)) {
        $driveRoot = "$($drive.Root)"
        if ($driveRoot -notmatch '^[A-Za-z]:\\$') { continue }
        if (-not (Test-Path -LiteralPath $driveRoot)) { continue }
        $roots += Join-Path $driveRoot 'Program Files\Windows Kits\10'
    }
    foreach ($root in $roots) {
        $tools = Join-Path $root 'Tools'
        if (-not (Test-Path -LiteralPath $tools)) { continue }
        $found = @(Get-ChildItem -LiteralPath $tools -Directory -ErrorAction SilentlyContinue |
                Sort-Object { try { [version]$_.Name } catch { [version]'0.0' } } -Descending |
                ForEach-Object { Join-Path $_.FullName "$arch\devgen.exe" } |
                Where-Object { Test-Path -LiteralPath $_ })
        if ($found.Count -gt 0) { return $found[0] }
    }
    throw ('devgen.exe not found (PATH, %WDKContentRoot%\Tools\*\' + $arch + ', ' +
        '%ProgramFiles(x86)%\Windows Kits\10\Tools\*\' + $arch + ', <drive>:\Program Files\Windows Kits\10\Tools\*\' +
        $arch + ' on every drive). It ships with the WDK/eWDK for ' +
        'Windows 11 22H2 and later; mount the eWDK ISO or install the WDK, or pass -DevGen <path>. ' +
        'pnputil cannot create a root-enumerated device (its commands: /add-driver, /delete-driver, ' +
        '/enum-*, /disable-, /enable-, /restart-, /remove-, /scan-devices).')
}

# --- System state ---------------------------------------------------------------------------------
function Test-VWireTestSigningActive {
    <#
    .SYNOPSIS
        True when the running boot has test signing on: the loader's options, as the kernel saw them,
        are in HKLM\SYSTEM\CurrentControlSet\Control\SystemStartOptions and contain TESTSIGNING.
    #>
    $options = (Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control' -Name 'SystemStartOptions' -ErrorAction SilentlyContinue).SystemStartOptions
    return ($null -ne $options -and $options -match '(^|\s)TESTSIGNING(\s|$)')
}

function Test-VWireTestSigningNextBoot {
    <#
    .SYNOPSIS
        Whether the next boot has test signing on: `bcdedit /enum {current}` lists the element that
        `bcdedit /set testsigning on` writes (Microsoft page "The TESTSIGNING boot configuration
        option") as "testsigning  Yes".
    .OUTPUTS
        $true (Yes), $false (No, or no testsigning element), or $null when the value is neither Yes
        nor No (bcdedit localizes it on some display languages) or bcdedit failed.
    #>
    $result = Invoke-VWireNative -FilePath 'bcdedit.exe' -ArgumentList @('/enum', '{current}') -IgnoreExitCode -Quiet
    if ($result.ExitCode -ne 0) { return $null }
    $line = @($result.Output | Where-Object { $_ -match '^\s*testsigning\s+\S' })
    if ($line.Count -eq 0) { return $false }
    $value = ($line[0].Trim() -split '\s+', 2)[1].Trim()
    if ($value -eq 'Yes') { return $true }
    if ($value -eq 'No') { return $false }
    return $null
}

function Get-VWireOsBuild {
    <# .SYNOPSIS The Windows build number (19041 = Windows 10 2004, 22000 = Windows 11). #>
    [int](Get-CimInstance -ClassName Win32_OperatingSystem).BuildNumber
}

function Test-VWireCertificateTrusted {
    <#
    .SYNOPSIS
        True when the certificate (by thumbprint) is in LocalMachine\Root and LocalMachine\TrustedPublisher.
    #>
    param([Parameter(Mandatory)][string]$Thumbprint)
    (Test-Path -LiteralPath "Cert:\LocalMachine\Root\$Thumbprint") -and
    (Test-Path -LiteralPath "Cert:\LocalMachine\TrustedPublisher\$Thumbprint")
}

function Get-VWireCertificateThumbprint {
    <# .SYNOPSIS The SHA-1 thumbprint of a .cer file. #>
    param([Parameter(Mandatory)][string]$Path)
    $cert = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2($Path)
    return $cert.Thumbprint
}

# --- Devices, driver packages, adapters -----------------------------------------------------------
function Get-VWireDevice {
    <#
    .SYNOPSIS
        PnP devices (present or not) whose hardware IDs include the given one (case-insensitive).
    #>
    param([Parameter(Mandatory)][string]$HardwareId)
    @(Get-PnpDevice -ErrorAction SilentlyContinue | Where-Object {
            $ids = @($_.HardwareID)
            $ids -icontains $HardwareId
        })
}

function Get-VWireBusDevice { Get-VWireDevice -HardwareId $script:BusHardwareId }

function Get-VWirePortDevice {
    <#
    .SYNOPSIS
        The bus's child devices (one per port), with their port number from the location text.
    .PARAMETER PresentOnly
        Only devices present now (a removed port leaves a non-present device node behind).
    #>
    param([switch]$PresentOnly)
    $devices = Get-VWireDevice -HardwareId $script:PortHardwareId
    if ($PresentOnly) { $devices = @($devices | Where-Object { $_.Present }) }
    foreach ($device in $devices) {
        $location = (Get-PnpDeviceProperty -InstanceId $device.InstanceId -KeyName 'DEVPKEY_Device_LocationInfo' -ErrorAction SilentlyContinue).Data
        $port = $null
        if ($location -and ($location -match $script:PortLocationPattern)) { $port = [int]$Matches[1] }
        [PSCustomObject]@{
            Port       = $port
            InstanceId = $device.InstanceId
            Status     = $device.Status
            Present    = $device.Present
            Problem    = (Get-PnpDeviceProperty -InstanceId $device.InstanceId -KeyName 'DEVPKEY_Device_ProblemCode' -ErrorAction SilentlyContinue).Data
        }
    }
}

function Get-VWireAdapter {
    <#
    .SYNOPSIS
        The network adapters kmdf_miniport.sys runs on vwire ports: Get-NetAdapter entries whose
        PnPDeviceID is a vwire port device, with the port number.
    #>
    $ports = @{}
    foreach ($port in @(Get-VWirePortDevice -PresentOnly)) { $ports[$port.InstanceId.ToUpperInvariant()] = $port.Port }
    foreach ($adapter in @(Get-NetAdapter -ErrorAction SilentlyContinue)) {
        $pnpId = "$($adapter.PnPDeviceID)".ToUpperInvariant()
        if ($ports.ContainsKey($pnpId)) {
            [PSCustomObject]@{
                Port                 = $ports[$pnpId]
                Name                 = $adapter.Name
                InterfaceIndex       = $adapter.ifIndex
                InterfaceDescription = $adapter.InterfaceDescription
                MacAddress           = $adapter.MacAddress
                Status               = $adapter.Status
                PnPDeviceID          = $adapter.PnPDeviceID
            }
        }
    }
}

function Get-VWireDriverPackage {
    <#
    .SYNOPSIS
        Third-party driver packages in the driver store whose original INF name is the given one,
        from `pnputil /enum-drivers`. The field labels of that output are localized, so a package is
        recognised by its values: the published name (oem<N>.inf) and the original name, in the
        same blank-line-separated block.
    .OUTPUTS
        The published names (oem<N>.inf).
    #>
    param([Parameter(Mandatory)][string]$OriginalName)
    $result = Invoke-VWireNative -FilePath 'pnputil.exe' -ArgumentList @('/enum-drivers') -Quiet
    $published = @()
    $block = @()
    foreach ($line in @($result.Output + '')) {
        if ($line.Trim() -eq '') {
            $values = @($block | ForEach-Object { ($_ -split ':', 2)[-1].Trim() })
            $oem = @($values | Where-Object { $_ -match '^oem\d+\.inf$' })
            if ($oem.Count -gt 0 -and ($values -icontains $OriginalName)) { $published += $oem[0] }
            $block = @()
        } else {
            $block += $line
        }
    }
    return $published
}

function Wait-VWireCondition {
    <#
    .SYNOPSIS
        Polls a script block every half second until it returns true or the timeout passes.
    .OUTPUTS
        True if the condition held before the timeout.
    #>
    param(
        [Parameter(Mandatory)][scriptblock]$Condition,
        [int]$TimeoutSeconds = 60
    )
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    while ((Get-Date) -lt $deadline) {
        if (& $Condition) { return $true }
        Start-Sleep -Milliseconds 500
    }
    return [bool](& $Condition)
}

Export-ModuleMember -Function *-VWire*
