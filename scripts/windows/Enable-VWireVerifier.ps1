<#
.SYNOPSIS
    Turns on Driver Verifier and the KMDF verifier for kmdf_miniport.sys and vwire_bus.sys.

.DESCRIPTION
    Idempotent: writes the same settings every time and says whether Driver Verifier is also active
    in the running boot (verifier /query). Both take effect at the next boot.

    Driver Verifier (Microsoft pages "Driver Verifier command syntax" and "Driver Verifier options and
    rule classes"), on Windows 11 (build 22000+):
        verifier /ruleclasses 1 2 4 5 6 8 9 12 18 34 22 /driver kmdf_miniport.sys vwire_bus.sys
    - 1 2 4 5 6 8 9 12 18 34 are the "standard rule classes", the same set as /standard: special pool
      (1), force IRQL checking (2), pool tracking (4), I/O verification (5), deadlock detection (6),
      DMA checking (8), security checks (9), miscellaneous checks (12), DDI compliance checking (18)
      and WDF verification (34). Listing them instead of /standard lets one command add:
    - 22, NDIS/WIFI verification (the NDIS miniport rules; the /flags bit 0x200000).
    /ruleclasses exists from Windows 10 1803; the Windows 10 syntax block of the command-syntax page
    shows it only with /all, so below build 22000 the script uses the documented /flags form instead:
        verifier /flags 0x2209BB /driver kmdf_miniport.sys vwire_bus.sys
    0x209BB is the standard flag set (0x1 special pool, 0x2 IRQL, 0x8 pool tracking, 0x10 I/O,
    0x20 deadlock, 0x80 DMA, 0x100 security, 0x800 miscellaneous, 0x20000 DDI compliance) and 0x200000
    NDIS/WIFI verification. The page notes that after Windows 10 1803 /flags 0x209BB no longer turns on
    WDF verification; the KMDF verifier values below cover that on every build.

    KMDF verifier (Microsoft page "Registry Values for Debugging WDF Drivers (KMDF and UMDF)"), under
    HKLM\SYSTEM\CurrentControlSet\Services\<service>\Parameters\Wdf for kmdf_miniport and vwire_bus:
        VerifierOn      REG_DWORD     1    framework verifier (state and parameter checks)
        TrackHandles    REG_MULTI_SZ  *    track references on every framework handle (needs VerifierOn)
        DbgBreakOnError REG_DWORD     1    break into the debugger on a verifier error
        VerboseOn       REG_DWORD     1    verbose In-flight Recorder log (!wdfkd.wdflogdump)
    With DbgBreakOnError and no kernel debugger attached, a break is an unhandled kernel breakpoint
    and the machine bug-checks (Microsoft page "Breaking into the debugger": "If no kernel debugger is
    present, this is treated as a bug check"). Attach a kernel debugger, or pass -NoBreakOnError.

.PARAMETER NoBreakOnError
    Write DbgBreakOnError = 0 (log verifier errors to the IFR without stopping the machine).

.EXAMPLE
    .\Enable-VWireVerifier.ps1
    Then Restart-Computer.

.EXAMPLE
    .\Enable-VWireVerifier.ps1 -NoBreakOnError
    For a machine without a kernel debugger attached.
#>
[CmdletBinding()]
param([switch]$NoBreakOnError)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'VWire.psm1') -Force
$c = Get-VWireConstant
$drivers = @("$($c.MiniportService).sys", "$($c.BusService).sys")

Write-VWireStep 'Checking prerequisites'
Assert-VWireAdmin
foreach ($service in @($c.MiniportService, $c.BusService)) {
    if (-not (Test-Path -LiteralPath "HKLM:\SYSTEM\CurrentControlSet\Services\$service")) {
        throw "Service $service does not exist: run Install-VWire.ps1 first (the KMDF values live under its key)."
    }
}
$build = Get-VWireOsBuild
Write-VWireDone "services exist; Windows build $build"

Write-VWireStep 'Driver Verifier'
# verifier exits 2 when it changed the settings and a reboot is needed to apply them
# (autotest/tp-qemu#960 treats it as success); 0 when nothing had to change.
$verifierOk = @(0, 2)
if ($build -ge 22000) {
    $arguments = @('/ruleclasses', '1', '2', '4', '5', '6', '8', '9', '12', '18', '34', '22', '/driver') + $drivers
} else {
    $arguments = @('/flags', '0x2209BB', '/driver') + $drivers
}
Invoke-VWireNative -FilePath 'verifier.exe' -ArgumentList $arguments -AllowedExitCodes $verifierOk | Out-Null
Write-VWireDone ('verifier ' + ($arguments -join ' ') + ' (next boot)')
$query = Invoke-VWireNative -FilePath 'verifier.exe' -ArgumentList @('/query') -AllowedExitCodes @(0, 1, 2) -Quiet
$active = @($drivers | Where-Object { ($query.Output -join "`n") -match [regex]::Escape($_) })
if ($active.Count -eq $drivers.Count) {
    # Not "already done": the command above just (re)wrote the settings for the next boot.
    Write-VWireDone 'also active in the running boot: verifier /query lists both drivers'
} else {
    Write-VWireNote 'not active in the running boot (verifier /query does not list both drivers): reboot to apply'
}

Write-VWireStep 'KMDF verifier (Parameters\Wdf)'
$break = if ($NoBreakOnError) { 0 } else { 1 }
$wanted = [ordered]@{
    VerifierOn      = @{ Type = 'DWord'; Value = 1 }
    TrackHandles    = @{ Type = 'MultiString'; Value = [string[]]@('*') }
    DbgBreakOnError = @{ Type = 'DWord'; Value = $break }
    VerboseOn       = @{ Type = 'DWord'; Value = 1 }
}
foreach ($service in @($c.MiniportService, $c.BusService)) {
    $key = "HKLM:\SYSTEM\CurrentControlSet\Services\$service\Parameters\Wdf"
    if (-not (Test-Path -LiteralPath $key)) { New-Item -Path $key -Force | Out-Null }
    foreach ($name in $wanted.Keys) {
        $entry = $wanted[$name]
        $current = (Get-ItemProperty -LiteralPath $key -Name $name -ErrorAction SilentlyContinue)
        $same = $false
        if ($null -ne $current) {
            $value = $current.$name
            $kind = (Get-Item -LiteralPath $key).GetValueKind($name).ToString()
            $same = ($kind -eq $entry.Type) -and ((@($value) -join '|') -eq (@($entry.Value) -join '|'))
        }
        if ($same) {
            Write-VWireSkip "$service\Parameters\Wdf\$name = $(@($entry.Value) -join ',')"
        } else {
            New-ItemProperty -LiteralPath $key -Name $name -PropertyType $entry.Type -Value $entry.Value -Force | Out-Null
            Write-VWireDone "$service\Parameters\Wdf\$name = $(@($entry.Value) -join ',') ($($entry.Type))"
        }
    }
}
if (-not $NoBreakOnError) {
    Write-VWireNote 'DbgBreakOnError = 1: without a kernel debugger attached a KMDF verifier error bug-checks the machine (use -NoBreakOnError otherwise).'
}

Write-Host ''
Write-VWireNote 'REBOOT NEEDED: Driver Verifier and the KMDF verifier settings take effect at the next boot (Restart-Computer).'
