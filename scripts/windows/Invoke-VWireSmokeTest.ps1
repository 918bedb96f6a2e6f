<#
.SYNOPSIS
    Smoke test with no second machine: the Windows TCP/IP stack answers ARP and ping through
    kmdf_miniport.sys, driven from below by vwire-ctl; then, where routing allows, two vwire adapters
    ping each other.

.DESCRIPTION
    Exit code 0 when every test that ran passed, 1 otherwise. Safe to rerun.

    1. Gives the adapter on -Port the address -Address/-PrefixLength (New-NetIPAddress; kept if it
       is already there) and waits until the address is Preferred (duplicate address detection done).
    2. Adds an inbound firewall rule allowing ICMPv4 echo requests (type 8) on that interface only
       (New-NetFirewallRule -Protocol ICMPv4 -IcmpType 8 -InterfaceAlias ...): a new, unidentified
       network is in the Public profile, where Windows blocks inbound echo requests by default. The
       rule is removed at the end, pass or fail.
    3. `vwire-ctl smoke <port> --target-ip <Address> --source-ip <PeerAddress> --timeout-ms N`:
       vwire-ctl injects an ARP request for the address and an ICMP echo request into the port, as if
       a peer on the wire sent them, and checks that the stack's ARP reply and echo reply come back
       out through the driver. It exits non-zero naming the step that failed.
    4. Two adapters (skipped with -SkipTwoAdapter or when there is only one adapter): gives a second
       adapter -SecondAddress, captures what both ports write (`vwire-ctl capture <port> --start`,
       `--read`, `--stop`) and pings -SecondAddress from -Address (`ping.exe -S`).
       Why this usually proves nothing on one machine: both addresses are local, and Windows TCP/IP
       delivers a packet addressed to one of the machine's own unicast addresses inside tcpip.sys,
       whichever interface holds it; it never reaches an NDIS miniport. That is also why packet
       capture on Windows cannot see such traffic at the NDIS layer (Npcap captures it with a WFP
       callout and its own "Npcap Loopback Adapter"; Npcap User's Guide, loopback capture). The weak
       and strong host models (RFC 1122 3.3.4.2; Microsoft "Strong and Weak Host Models", The Cable
       Guy, TechNet 2007; Set-NetIPInterface -WeakHostSend/-WeakHostReceive) only decide which
       interface may send or accept a packet for an address; they do not turn that local delivery
       off. Only separate network compartments (each with its own addresses and routes) would make
       the two adapters see each other as remote, and Windows has no supported in-box command that
       moves an arbitrary adapter into a new compartment. So the script decides from the capture:
       ICMP echo frames seen on the ports = the driver carried the ping (then the reply must be
       there too, or the test fails); ping answered but no frames = looped back inside TCP/IP,
       reported as SKIPPED, not as a pass.

.PARAMETER Port
    The vwire port to test. Default: the lowest port with an adapter.

.PARAMETER Address
    IPv4 address for the adapter under test. Default 192.0.2.1 (TEST-NET-1, RFC 5737).

.PARAMETER PrefixLength
    Prefix length of the test subnet. Default 24.

.PARAMETER PeerAddress
    Source address of the injected ARP and echo requests (--source-ip), in the same subnet, not
    used by any adapter. Default 192.0.2.99.

.PARAMETER SourceMac
    Source MAC address of the injected frames (--source-mac), in the form vwire-ctl accepts. Default:
    vwire-ctl's own.

.PARAMETER TimeoutMs
    --timeout-ms for vwire-ctl smoke, and the wait of each capture read. Default 5000.

.PARAMETER SecondAddress
    Address for the second adapter in the two-adapter test. Default 192.0.2.11.

.PARAMETER SkipTwoAdapter
    Run only the single-adapter smoke test.

.PARAMETER VWireCtl
    Path of vwire-ctl.exe.

.EXAMPLE
    .\Invoke-VWireSmokeTest.ps1
    Port 1 (or the lowest present), 192.0.2.1/24, then the two-adapter check with port 2.

.EXAMPLE
    .\Invoke-VWireSmokeTest.ps1 -Port 3 -Address 198.51.100.1 -PeerAddress 198.51.100.2 -SkipTwoAdapter
#>
[CmdletBinding()]
param(
    [int]$Port,
    [string]$Address = '192.0.2.1',
    [ValidateRange(8, 30)][int]$PrefixLength = 24,
    [string]$PeerAddress = '192.0.2.99',
    [string]$SourceMac,
    [int]$TimeoutMs = 5000,
    [string]$SecondAddress = '192.0.2.11',
    [switch]$SkipTwoAdapter,
    [string]$VWireCtl
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'VWire.psm1') -Force

$ruleGroup = 'vwire smoke test'

function Set-TestAddress {
    # Puts $Ip/$Prefix on the interface, idempotently, and waits for duplicate address detection.
    param($Adapter, [string]$Ip, [int]$Prefix)
    $existing = @(Get-NetIPAddress -AddressFamily IPv4 -IPAddress $Ip -ErrorAction SilentlyContinue)
    $elsewhere = @($existing | Where-Object { $_.InterfaceIndex -ne $Adapter.InterfaceIndex })
    if ($elsewhere.Count -gt 0) {
        throw ("$Ip is already on interface index " + (($elsewhere | ForEach-Object { $_.InterfaceIndex }) -join ', ') +
            "; pick another address (-Address / -SecondAddress) or remove it (Remove-NetIPAddress -IPAddress $Ip).")
    }
    $mine = @($existing | Where-Object { $_.InterfaceIndex -eq $Adapter.InterfaceIndex })
    if ($mine.Count -gt 0) {
        if ($mine[0].PrefixLength -ne $Prefix) {
            Set-NetIPAddress -InterfaceIndex $Adapter.InterfaceIndex -IPAddress $Ip -PrefixLength $Prefix | Out-Null
            Write-VWireDone "$Ip on '$($Adapter.Name)': prefix length set to $Prefix"
        } else {
            Write-VWireSkip "$Ip/$Prefix is on '$($Adapter.Name)'"
        }
    } else {
        New-NetIPAddress -InterfaceIndex $Adapter.InterfaceIndex -AddressFamily IPv4 -IPAddress $Ip -PrefixLength $Prefix | Out-Null
        Write-VWireDone "$Ip/$Prefix added to '$($Adapter.Name)' (interface index $($Adapter.InterfaceIndex))"
    }
    $ready = Wait-VWireCondition -TimeoutSeconds 15 -Condition {
        @(Get-NetIPAddress -InterfaceIndex $Adapter.InterfaceIndex -AddressFamily IPv4 -IPAddress $Ip -ErrorAction SilentlyContinue |
                Where-Object { "$($_.AddressState)" -eq 'Preferred' }).Count -gt 0
    }
    if (-not $ready) {
        $state = (Get-NetIPAddress -InterfaceIndex $Adapter.InterfaceIndex -IPAddress $Ip -ErrorAction SilentlyContinue).AddressState
        throw "$Ip on '$($Adapter.Name)' did not become Preferred (state: $state); a Duplicate state means another host answered for it."
    }
}

function Add-EchoRule {
    # Inbound ICMPv4 echo request (type 8) allowed on one interface; removed by Remove-EchoRules.
    param($Adapter)
    $name = "VWire-Smoke-ICMPv4-Echo-In-$($Adapter.InterfaceIndex)"
    if (Get-NetFirewallRule -Name $name -ErrorAction SilentlyContinue) {
        Write-VWireSkip "firewall rule $name exists"
    } else {
        New-NetFirewallRule -Name $name -DisplayName "vwire smoke test: ICMPv4 echo request in ($($Adapter.Name))" `
            -Group $ruleGroup -Direction Inbound -Action Allow -Protocol ICMPv4 -IcmpType 8 `
            -InterfaceAlias $Adapter.Name -Profile Any | Out-Null
        Write-VWireDone "firewall rule ${name}: allow inbound ICMPv4 echo on '$($Adapter.Name)'"
    }
}

function Remove-EchoRules {
    $rules = @(Get-NetFirewallRule -Group $ruleGroup -ErrorAction SilentlyContinue)
    foreach ($rule in $rules) {
        Remove-NetFirewallRule -Name $rule.Name
        Write-VWireDone "firewall rule $($rule.Name) removed"
    }
}

function ConvertFrom-FrameHex {
    # One captured frame (lowercase hex, one per line) to its IPv4 ICMP fields, or $null.
    param([string]$Line)
    $hex = ($Line -replace '[^0-9a-fA-F]', '')
    if ($hex.Length -lt 2 * 34) { return $null }
    $bytes = New-Object byte[] ($hex.Length / 2)
    for ($i = 0; $i -lt $bytes.Length; $i++) { $bytes[$i] = [Convert]::ToByte($hex.Substring(2 * $i, 2), 16) }
    if ($bytes[12] -ne 0x08 -or $bytes[13] -ne 0x00) { return $null }   # EtherType IPv4
    if (($bytes[14] -shr 4) -ne 4 -or $bytes[23] -ne 1) { return $null } # IPv4, protocol ICMP
    $ihl = 4 * ($bytes[14] -band 0x0f)
    if ($bytes.Length -le 14 + $ihl) { return $null }
    [PSCustomObject]@{
        Source      = '{0}.{1}.{2}.{3}' -f $bytes[26], $bytes[27], $bytes[28], $bytes[29]
        Destination = '{0}.{1}.{2}.{3}' -f $bytes[30], $bytes[31], $bytes[32], $bytes[33]
        IcmpType    = [int]$bytes[14 + $ihl]
    }
}

$failed = $false
try {
    Write-VWireStep 'Checking prerequisites'
    Assert-VWireAdmin
    $ctl = Find-VWireCtl -Path $VWireCtl
    $adapters = @(Get-VWireAdapter | Sort-Object Port)
    if ($adapters.Count -eq 0) { throw 'No vwire network adapter: run Install-VWire.ps1 / Add-VWirePorts.ps1 first.' }
    if ($PSBoundParameters.ContainsKey('Port')) {
        $under = @($adapters | Where-Object { $_.Port -eq $Port })
        if ($under.Count -eq 0) { throw "No adapter on vwire port $Port (ports with adapters: $(($adapters | ForEach-Object { $_.Port }) -join ', '))." }
        $under = $under[0]
    } else {
        $under = $adapters[0]
        $Port = $under.Port
    }
    if ("$($under.Status)" -ne 'Up') {
        throw "Adapter '$($under.Name)' on port $Port is $($under.Status), not Up (vwire-ctl link $Port up?)."
    }
    Write-VWireDone "port $Port, adapter '$($under.Name)', MAC $($under.MacAddress); vwire-ctl: $ctl"

    Write-VWireStep "Test address on port $Port"
    Set-TestAddress -Adapter $under -Ip $Address -Prefix $PrefixLength
    Add-EchoRule -Adapter $under

    Write-VWireStep "Smoke test through port $Port (ARP and ICMP echo injected below the driver)"
    $smokeArgs = @('smoke', "$Port", '--target-ip', $Address, '--source-ip', $PeerAddress, '--timeout-ms', "$TimeoutMs")
    if ($SourceMac) { $smokeArgs += @('--source-mac', $SourceMac) }
    $smoke = Invoke-VWireNative -FilePath $ctl -ArgumentList $smokeArgs -IgnoreExitCode
    if ($smoke.ExitCode -eq 0) {
        Write-VWireDone 'PASS: the stack answered ARP and ping through kmdf_miniport.sys'
    } else {
        Write-Host "    FAIL: vwire-ctl smoke exited $($smoke.ExitCode): $($smoke.Output -join ' ')" -ForegroundColor Red
        $failed = $true
    }

    $peer = @($adapters | Where-Object { $_.Port -ne $Port -and "$($_.Status)" -eq 'Up' })
    if ($SkipTwoAdapter) {
        Write-VWireStep 'Two-adapter ping: skipped (-SkipTwoAdapter)'
    } elseif ($peer.Count -eq 0) {
        Write-VWireStep 'Two-adapter ping: skipped (only one vwire adapter is up; Add-VWirePorts.ps1 -Count 2)'
    } else {
        $peer = $peer[0]
        Write-VWireStep "Two-adapter ping: port $Port ($Address) -> port $($peer.Port) ($SecondAddress)"
        Set-TestAddress -Adapter $peer -Ip $SecondAddress -Prefix $PrefixLength
        Add-EchoRule -Adapter $peer
        foreach ($p in @($Port, $peer.Port)) {
            Invoke-VWireNative -FilePath $ctl -ArgumentList @('capture', "$p", '--start') | Out-Null
        }
        try {
            $ping = Invoke-VWireNative -FilePath 'ping.exe' -ArgumentList @('-n', '3', '-w', '1000', '-S', $Address, $SecondAddress) -AllowedExitCodes @(0, 1)
            $readA = Invoke-VWireNative -FilePath $ctl -ArgumentList @('capture', "$Port", '--read', '--wait-ms', "$TimeoutMs") -Quiet
            $readB = Invoke-VWireNative -FilePath $ctl -ArgumentList @('capture', "$($peer.Port)", '--read', '--wait-ms', "$TimeoutMs") -Quiet
        } finally {
            foreach ($p in @($Port, $peer.Port)) {
                Invoke-VWireNative -FilePath $ctl -ArgumentList @('capture', "$p", '--stop') -IgnoreExitCode | Out-Null
            }
        }
        # capture --read prints one frame per line as lowercase hex; Invoke-VWireNative folds stderr into
        # Output (e.g. "vwire-ctl: N captured frames were dropped"), so keep only the frame lines.
        $framesA = @($readA.Output | Where-Object { $_ -match '^[0-9a-f]+$' })
        $framesB = @($readB.Output | Where-Object { $_ -match '^[0-9a-f]+$' })
        foreach ($line in @($readA.Output) + @($readB.Output)) {
            if ($line -notmatch '^[0-9a-f]+$' -and $line.Trim() -ne '') { Write-Host "    vwire-ctl: $line" }
        }
        $requests = @($framesA | ForEach-Object { ConvertFrom-FrameHex $_ } |
                Where-Object { $_ -and $_.IcmpType -eq 8 -and $_.Source -eq $Address -and $_.Destination -eq $SecondAddress })
        $replies = @($framesB | ForEach-Object { ConvertFrom-FrameHex $_ } |
                Where-Object { $_ -and $_.IcmpType -eq 0 -and $_.Source -eq $SecondAddress -and $_.Destination -eq $Address })
        Write-Host ("    frames written: port {0}: {1} ({2} echo request(s)); port {3}: {4} ({5} echo reply(ies)); ping exit {6}" -f `
                $Port, $framesA.Count, $requests.Count, $peer.Port, $framesB.Count, $replies.Count, $ping.ExitCode)
        if ($requests.Count -gt 0 -and $replies.Count -gt 0 -and $ping.ExitCode -eq 0) {
            Write-VWireDone 'PASS: the echo requests and replies crossed both drivers and the hub'
        } elseif ($requests.Count -gt 0) {
            Write-Host '    FAIL: echo requests left port A through the driver but no reply came back through port B' -ForegroundColor Red
            $failed = $true
        } elseif ($ping.ExitCode -eq 0) {
            Write-VWireNote ('SKIPPED: ping was answered but no ICMP frame crossed the driver: Windows delivered it ' +
                'inside TCP/IP because both addresses are local (see this script''s help). Not a driver result.')
        } else {
            Write-VWireNote 'SKIPPED: no reply and no ICMP frame on the ports; routing kept the ping away from the driver.'
        }
    }
} catch {
    Write-Host "    ERROR: $($_.Exception.Message)" -ForegroundColor Red
    $failed = $true
} finally {
    Write-VWireStep 'Cleaning up the firewall rules'
    try { Remove-EchoRules } catch { Write-Host "    could not remove firewall rules: $($_.Exception.Message)" -ForegroundColor Red }
}

if ($failed) {
    Write-Host 'SMOKE TEST FAILED' -ForegroundColor Red
    exit 1
}
Write-Host 'SMOKE TEST PASSED' -ForegroundColor Green
exit 0
