<#
.SYNOPSIS
    Installs the vwire bus (vwire_bus.sys) with its root-enumerated device and the miniport
    (kmdf_miniport.sys), so that every port the bus enumerates becomes a network adapter.

.DESCRIPTION
    Idempotent; each step says whether it changed something or found it done.
    1. Checks elevation, the OS build (19041+), that the running boot has test signing and that the
       packages' test certificate is trusted (Initialize-TestMachine.ps1 does both).
    2. Finds the two packages `cargo make` wrote (target\[<triple>\]<profile>\{vwire_bus,kmdf_miniport}_package).
    3. `pnputil /add-driver vwire_bus.inf [/install]` and `pnputil /add-driver kmdf_miniport.inf [/install]`
       (Microsoft page "PnPUtil Command Syntax": /add-driver adds the package to the driver store,
       /install also installs it on matching devices; both from Windows 10 1607). /install is passed
       when matching devices already exist, so a rebuilt package replaces the running one. Exit code
       259 (ERROR_NO_MORE_ITEMS, Microsoft page "PnPUtil return values": the devices already use this
       or a better or newer driver) counts as success and is reported as "already installed".
    4. Removes non-present Root\VWireBus device nodes left by earlier installs
       (`pnputil /remove-device <instance ID>`), then creates the bus's root device unless a present
       one with hardware ID Root\VWireBus exists:
       `devgen /add /bus ROOT /hardwareid Root\VWireBus` (Microsoft page "DevGen command syntax":
       /bus ROOT makes a root-enumerated device that persists across reboots; the default, SWD, would
       vanish at reboot). devgen is in the WDK/eWDK tools folder from Windows 11 22H2 on; pnputil has
       no command that creates a device.
    5. Waits for the bus device to start and for a network adapter on every port it enumerates (the
       bus starts with two ports, crates\vwire-bus\src\sys\windows\fdo.rs INITIAL_PORTS), and prints them.

.PARAMETER PackageDir
    Folder that holds both package folders (vwire_bus_package, kmdf_miniport_package), instead of
    searching the cargo target directory: target\[<triple>\]<profile> of a build, or
    <triple>-<profile> of the CI artifact (packages\<triple>-<profile>, with vwire-ctl.exe beside
    them). Initialize-TestMachine.ps1 -PackageDir takes the same folder.

.PARAMETER BuildProfile
    debug or release. Default debug.

.PARAMETER Target
    Rust target triple of the build; empty for a build without --target.

.PARAMETER DevGen
    Full path of devgen.exe, when it is not found automatically.

.PARAMETER TimeoutSeconds
    How long to wait for the bus to start and the adapters to appear. Default 60.

.EXAMPLE
    .\Install-VWire.ps1
    Installs the debug build from target\debug\*_package.

.EXAMPLE
    .\Install-VWire.ps1 -BuildProfile release -Target aarch64-pc-windows-msvc
    Installs target\aarch64-pc-windows-msvc\release\*_package on an ARM64 machine.

.EXAMPLE
    .\Install-VWire.ps1 -PackageDir C:\drop -DevGen 'E:\Program Files\Windows Kits\10\Tools\10.0.26100.0\x64\devgen.exe'
    Packages copied from a build machine to C:\drop\vwire_bus_package and C:\drop\kmdf_miniport_package.
#>
[CmdletBinding()]
param(
    [string]$PackageDir,
    [ValidateSet('debug', 'release')][string]$BuildProfile = 'debug',
    [string]$Target,
    [string]$DevGen,
    [int]$TimeoutSeconds = 60
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'VWire.psm1') -Force
$c = Get-VWireConstant

Write-VWireStep 'Checking prerequisites'
Assert-VWireAdmin
$build = Get-VWireOsBuild
if ($build -lt 19041) { throw "Windows build $build is below 19041, the floor of both INFs." }
if (-not (Test-VWireTestSigningActive)) {
    throw 'The running boot does not have test signing on: run Initialize-TestMachine.ps1 and reboot first.'
}
$busDir = if ($PackageDir) { Join-Path $PackageDir 'vwire_bus_package' } else { $null }
$miniportDir = if ($PackageDir) { Join-Path $PackageDir 'kmdf_miniport_package' } else { $null }
$bus = Find-VWirePackage -Name vwire_bus -PackageDir $busDir -BuildProfile $BuildProfile -Target $Target
$miniport = Find-VWirePackage -Name kmdf_miniport -PackageDir $miniportDir -BuildProfile $BuildProfile -Target $Target
foreach ($package in @($bus, $miniport)) {
    $thumbprint = Get-VWireCertificateThumbprint -Path $package.Certificate
    if (-not (Test-VWireCertificateTrusted -Thumbprint $thumbprint)) {
        throw ("The certificate that signed $($package.Name) ($thumbprint) is not in LocalMachine\Root " +
            "and TrustedPublisher: run Initialize-TestMachine.ps1 -CertificatePath '$($package.Certificate)'.")
    }
}
Write-VWireDone "Windows build $build, test signing on, packages: $($bus.Directory), $($miniport.Directory)"

# pnputil exit codes (Microsoft page "PnPUtil return values"): 0 success; 259 ERROR_NO_MORE_ITEMS,
# with /install: no device matches the driver, or the devices already use this or a better or newer
# driver (a rerun); 3010 success with a reboot needed (ERROR_SUCCESS_REBOOT_REQUIRED).
$pnputilOk = @(0, 259, 3010)
$rebootNeeded = $false

function Write-PnpUtilResult {
    # Prints what an /add-driver [/install] did, from its exit code.
    param([int]$ExitCode, [string]$Inf, [bool]$Install)
    $stored = (Get-VWireDriverPackage -OriginalName $Inf) -join ', '
    if ($ExitCode -eq 259) {
        Write-VWireSkip ("{0} in the driver store as {1}; already installed: the devices use this or a better driver (pnputil exit code 259)" -f $Inf, $stored)
    } elseif ($Install) {
        Write-VWireDone ("{0} in the driver store as {1}, installed on the matching devices" -f $Inf, $stored)
    } else {
        Write-VWireDone ("{0} in the driver store as {1}" -f $Inf, $stored)
    }
}

Write-VWireStep "Adding the bus driver package ($($c.BusInf)) to the driver store"
# Only present devices count: a non-present Root\VWireBus node (left by an earlier install) is not
# a bus that runs, and it is removed below before the root device is created.
$busDevices = @(Get-VWireBusDevice | Where-Object { $_.Present })
$arguments = @('/add-driver', $bus.Inf)
if ($busDevices.Count -gt 0) { $arguments += '/install' }
$result = Invoke-VWireNative -FilePath 'pnputil.exe' -ArgumentList $arguments -AllowedExitCodes $pnputilOk
if ($result.ExitCode -eq 3010) { $rebootNeeded = $true }
Write-PnpUtilResult -ExitCode $result.ExitCode -Inf $c.BusInf -Install ($busDevices.Count -gt 0)

Write-VWireStep "Adding the miniport driver package ($($c.MiniportInf)) to the driver store"
$portDevices = @(Get-VWirePortDevice -PresentOnly)
$arguments = @('/add-driver', $miniport.Inf)
if ($portDevices.Count -gt 0) { $arguments += '/install' }
$result = Invoke-VWireNative -FilePath 'pnputil.exe' -ArgumentList $arguments -AllowedExitCodes $pnputilOk
if ($result.ExitCode -eq 3010) { $rebootNeeded = $true }
Write-PnpUtilResult -ExitCode $result.ExitCode -Inf $c.MiniportInf -Install ($portDevices.Count -gt 0)

Write-VWireStep "Creating the bus's root device ($($c.BusHardwareId))"
# pnputil /remove-device <instance ID> (Microsoft page "PnPUtil Command Syntax", Windows 10 2004+)
# removes a device node; exit codes 0, or 3010 when a reboot completes the removal.
foreach ($stale in @(Get-VWireBusDevice | Where-Object { -not $_.Present })) {
    $result = Invoke-VWireNative -FilePath 'pnputil.exe' -ArgumentList @('/remove-device', $stale.InstanceId) -AllowedExitCodes @(0, 3010)
    if ($result.ExitCode -eq 3010) { $rebootNeeded = $true }
    Write-VWireDone "non-present leftover device $($stale.InstanceId) removed"
}
if ($busDevices.Count -gt 0) {
    Write-VWireSkip ("device exists: " + (($busDevices | ForEach-Object { $_.InstanceId }) -join ', '))
    if ($busDevices.Count -gt 1) {
        Write-VWireNote 'more than one vwire bus device exists; Uninstall-VWire.ps1 removes them all.'
    }
} else {
    $devgenPath = Find-VWireDevGen -Path $DevGen
    Write-Host "    using $devgenPath"
    Invoke-VWireNative -FilePath $devgenPath -ArgumentList @('/add', '/bus', 'ROOT', '/hardwareid', $c.BusHardwareId) | Out-Null
    Write-VWireDone 'root device created; PnP installs vwire_bus.sys on it from the driver store'
}

Write-VWireStep 'Waiting for the bus device to start'
$started = Wait-VWireCondition -TimeoutSeconds $TimeoutSeconds -Condition {
    @(Get-VWireBusDevice | Where-Object { $_.Present -and $_.Status -eq 'OK' }).Count -gt 0
}
$busDevices = @(Get-VWireBusDevice)
foreach ($device in $busDevices) {
    $problem = (Get-PnpDeviceProperty -InstanceId $device.InstanceId -KeyName 'DEVPKEY_Device_ProblemCode' -ErrorAction SilentlyContinue).Data
    Write-Host ("    {0}  status {1}  problem code {2}" -f $device.InstanceId, $device.Status, $problem)
}
if (-not $started) {
    throw (('The vwire bus device did not start within {0} s. See docs\windows-testing.md ' +
            '"Troubleshooting" (Code 10/39/52) and run Save-VWireLogs.ps1.') -f $TimeoutSeconds)
}
Write-VWireDone 'vwire bus started'

Write-VWireStep 'Waiting for the network adapters on the bus ports'
# An adapter for every present port (as Add-VWirePorts.ps1 waits), not just the first one.
Wait-VWireCondition -TimeoutSeconds $TimeoutSeconds -Condition {
    $waitPorts = @(Get-VWirePortDevice -PresentOnly)
    $waitAdapters = @(Get-VWireAdapter)
    $waitPorts.Count -gt 0 -and $waitAdapters.Count -ge $waitPorts.Count
} | Out-Null
$ports = @(Get-VWirePortDevice -PresentOnly)
$adapters = @(Get-VWireAdapter)
foreach ($port in $ports) {
    Write-Host ("    port {0}: {1}  status {2}  problem code {3}" -f $port.Port, $port.InstanceId, $port.Status, $port.Problem)
}
$adapters | Sort-Object Port | Format-Table -AutoSize Port, Name, InterfaceIndex, MacAddress, Status, InterfaceDescription | Out-Host
if ($ports.Count -gt 0 -and $adapters.Count -lt $ports.Count) {
    Write-VWireNote (('{0} port device(s) but {1} network adapter(s): a port whose miniport did not start ' +
            'shows a problem code above (docs\windows-testing.md, "Troubleshooting").') -f $ports.Count, $adapters.Count)
}
if ($rebootNeeded) {
    Write-VWireNote 'pnputil reported that a reboot is needed to finish (exit code 3010).'
}
Write-VWireDone ("installed: {0} port(s), {1} adapter(s). Next: Add-VWirePorts.ps1 / Invoke-VWireSmokeTest.ps1." -f $ports.Count, $adapters.Count)
