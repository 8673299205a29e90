<#
.SYNOPSIS
    Installs (or with -Uninstall removes) msdns-agent as a Windows service under a gMSA.

.DESCRIPTION
    Run from the unpacked msdns-agent-<version>-win64 folder, in an elevated Windows PowerShell 5.1:
      .\scripts\install-service.ps1 -Account 'CONTOSO\svc-msdns$'
    It checks what it can (DNS Server role, DnsServer module, the account), copies the programs and
    scripts to -InstallDir, the sample configuration to -ConfigDir, registers the service with
    delayed automatic start and restart-on-failure, and registers the Event Log source.

    The account needs:
      - Log on as a service (SeServiceLogonRight), e.g. through Group Policy;
      - rights to manage zones on this DNS server: membership of DnsAdmins, or delegated rights.
        WARNING: DnsAdmins on a domain controller is a known path to domain compromise (the DNS
        service, running as SYSTEM, loads a plug-in DLL that DnsAdmins may name). Treat the account
        as Tier 0 there, or run the DNS role on a member server.

    -MetricsAllowFrom 192.0.2.5,192.0.2.0/24 (with -MetricsPort, default 9358) opens the operators'
    HTTP endpoint (metrics_listen in the configuration) to those addresses only, with one inbound
    Windows Firewall rule; without it no rule is made. -Uninstall removes the rule.
#>
param(
    [string]$Account = '',
    [string]$InstallDir = '',
    [string]$ConfigDir = '',
    [string]$ServiceName = 'msdns-agent',
    [switch]$Uninstall,
    [switch]$Purge,
    [switch]$SkipChecks,
    [string[]]$MetricsAllowFrom = @(),
    [ValidateRange(1, 65535)]
    [int]$MetricsPort = 9358
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

if (-not $InstallDir) {
    $InstallDir = Join-Path $env:ProgramFiles 'msdns-agent'
}
if (-not $ConfigDir) {
    $ConfigDir = Join-Path $env:ProgramData 'msdns-agent'
}
$package = Split-Path -Parent $PSScriptRoot
$eventKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\EventLog\Application\' + $ServiceName
$firewallRule = $ServiceName + ' metrics'

function Write-Step {
    param([string]$Text)
    Write-Host ('== ' + $Text)
}

function Stop-WithMessage {
    param([string]$Text)
    Write-Host ('ERROR: ' + $Text) -ForegroundColor Red
    exit 1
}

function Test-Administrator {
    $id = [Security.Principal.WindowsIdentity]::GetCurrent()
    $p = New-Object Security.Principal.WindowsPrincipal($id)
    return $p.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
}

function Invoke-Sc {
    param([string[]]$Arguments)
    $out = & sc.exe @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) {
        Stop-WithMessage ('sc.exe ' + ($Arguments -join ' ') + ' failed: ' + ($out -join ' '))
    }
}

if (-not (Test-Administrator)) {
    Stop-WithMessage 'run this from an elevated PowerShell (Run as administrator)'
}

if ($Uninstall) {
    $svc = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
    if ($svc) {
        Write-Step ('stopping and removing the service ' + $ServiceName)
        if ($svc.Status -ne 'Stopped') {
            Stop-Service -Name $ServiceName -Force
        }
        Invoke-Sc @('delete', $ServiceName)
    }
    if (Get-NetFirewallRule -DisplayName $firewallRule -ErrorAction SilentlyContinue) {
        Write-Step ('removing the firewall rule ' + $firewallRule)
        Remove-NetFirewallRule -DisplayName $firewallRule
    }
    if (Test-Path -LiteralPath $eventKey) {
        Write-Step 'removing the Event Log source'
        Remove-EventLog -Source $ServiceName
    }
    if (Test-Path -LiteralPath $InstallDir) {
        Write-Step ('removing ' + $InstallDir)
        Remove-Item -LiteralPath $InstallDir -Recurse -Force
    }
    if ($Purge -and (Test-Path -LiteralPath $ConfigDir)) {
        Write-Step ('removing ' + $ConfigDir + ' (configuration and logs)')
        Remove-Item -LiteralPath $ConfigDir -Recurse -Force
    }
    Write-Step 'uninstalled'
    exit 0
}

if (-not $Account) {
    Stop-WithMessage "give the service account: -Account 'DOMAIN\name$' (a group managed service account)"
}
if (-not $Account.EndsWith('$')) {
    Stop-WithMessage ('"' + $Account + '" does not end in $: a gMSA is named DOMAIN\name$ (no password is stored)')
}

if (-not $SkipChecks) {
    Write-Step 'checking this host'
    if (-not (Get-Service -Name 'DNS' -ErrorAction SilentlyContinue)) {
        Stop-WithMessage 'the DNS Server role is not installed (Install-WindowsFeature DNS -IncludeManagementTools)'
    }
    if (-not (Get-Module -ListAvailable -Name DnsServer)) {
        Stop-WithMessage 'the DnsServer PowerShell module is missing (Install-WindowsFeature RSAT-DNS-Server)'
    }
    try {
        $sid = (New-Object Security.Principal.NTAccount($Account)).Translate([Security.Principal.SecurityIdentifier])
        Write-Host ('   account ' + $Account + ' is ' + $sid.Value)
    }
    catch {
        Stop-WithMessage ('the account ' + $Account + ' cannot be resolved: ' + $_.Exception.Message)
    }
    if (Get-Command -Name Test-ADServiceAccount -ErrorAction SilentlyContinue) {
        $short = $Account.Split('\')[-1].TrimEnd('$')
        if (-not (Test-ADServiceAccount -Identity $short)) {
            Stop-WithMessage ('this host cannot use the gMSA ' + $Account + ': add it to PrincipalsAllowedToRetrieveManagedPassword, then Install-ADServiceAccount ' + $short)
        }
    }
    else {
        Write-Host '   (Test-ADServiceAccount not available: the gMSA password retrieval was not checked)'
    }
}

foreach ($f in @('msdns-agent.exe', 'msdns-agent-replay.exe', 'scripts\msdns-zone.ps1', 'etc\msdns-agent.conf.sample')) {
    if (-not (Test-Path -LiteralPath (Join-Path $package $f))) {
        Stop-WithMessage ('the package is incomplete: ' + $f + ' is missing under ' + $package)
    }
}

$svc = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($svc -and $svc.Status -ne 'Stopped') {
    Write-Step 'stopping the running service for the upgrade'
    Stop-Service -Name $ServiceName -Force
}

Write-Step ('copying the programs to ' + $InstallDir)
New-Item -ItemType Directory -Force -Path (Join-Path $InstallDir 'scripts') | Out-Null
Copy-Item -LiteralPath (Join-Path $package 'msdns-agent.exe') -Destination $InstallDir -Force
Copy-Item -LiteralPath (Join-Path $package 'msdns-agent-replay.exe') -Destination $InstallDir -Force
Copy-Item -LiteralPath (Join-Path $package 'scripts\msdns-zone.ps1') -Destination (Join-Path $InstallDir 'scripts') -Force

Write-Step ('configuration in ' + $ConfigDir)
$logs = Join-Path $ConfigDir 'logs'
New-Item -ItemType Directory -Force -Path $logs | Out-Null
$conf = Join-Path $ConfigDir 'msdns-agent.conf'
Copy-Item -LiteralPath (Join-Path $package 'etc\msdns-agent.conf.sample') -Destination (Join-Path $ConfigDir 'msdns-agent.conf.sample') -Force
if (-not (Test-Path -LiteralPath $conf)) {
    Copy-Item -LiteralPath (Join-Path $package 'etc\msdns-agent.conf.sample') -Destination $conf
    Write-Host ('   new ' + $conf + ': set masters and allow_notify before starting the service')
}
else {
    Write-Host ('   kept the existing ' + $conf)
}
& icacls.exe $ConfigDir /grant ($Account + ':(OI)(CI)RX') | Out-Null
& icacls.exe $logs /grant ($Account + ':(OI)(CI)M') | Out-Null

Write-Step 'registering the Event Log source'
if (-not (Test-Path -LiteralPath $eventKey)) {
    New-EventLog -LogName Application -Source $ServiceName
}
$exe = Join-Path $InstallDir 'msdns-agent.exe'
Set-ItemProperty -LiteralPath $eventKey -Name EventMessageFile -Value $exe -Type ExpandString
Set-ItemProperty -LiteralPath $eventKey -Name TypesSupported -Value 7 -Type DWord

Write-Step ('registering the service ' + $ServiceName + ' as ' + $Account)
$binPath = '"' + $exe + '" --config-file "' + $conf + '"'
if (-not (Get-Service -Name $ServiceName -ErrorAction SilentlyContinue)) {
    New-Service -Name $ServiceName -BinaryPathName $binPath -DisplayName 'msdns-agent (OpenStack Designate agent for Microsoft DNS)' -StartupType Automatic | Out-Null
}
else {
    Set-ItemProperty -LiteralPath ('HKLM:\SYSTEM\CurrentControlSet\Services\' + $ServiceName) -Name ImagePath -Value $binPath
}
Invoke-Sc @('config', $ServiceName, 'start=', 'delayed-auto', 'obj=', $Account)
Invoke-Sc @('description', $ServiceName, 'Answers OpenStack Designate agent messages and manages Microsoft DNS secondary zones through PowerShell.')
Invoke-Sc @('failure', $ServiceName, 'reset=', '86400', 'actions=', 'restart/5000/restart/30000/restart/60000')
Invoke-Sc @('failureflag', $ServiceName, '1')

if ($MetricsAllowFrom.Count -gt 0) {
    foreach ($a in $MetricsAllowFrom) {
        $ip = $a.Split('/')[0]
        $parsed = $null
        if (-not [System.Net.IPAddress]::TryParse($ip, [ref]$parsed)) {
            Stop-WithMessage ('-MetricsAllowFrom: "' + $a + '" is not an IP address or prefix')
        }
    }
    Write-Step ('firewall: TCP ' + $MetricsPort + ' (metrics) from ' + ($MetricsAllowFrom -join ', ') + ' only')
    if (Get-NetFirewallRule -DisplayName $firewallRule -ErrorAction SilentlyContinue) {
        Remove-NetFirewallRule -DisplayName $firewallRule
    }
    New-NetFirewallRule -DisplayName $firewallRule -Direction Inbound -Protocol TCP -LocalPort $MetricsPort `
        -RemoteAddress $MetricsAllowFrom -Program $exe -Action Allow -Profile Any | Out-Null
    Write-Host ('   set metrics_listen = <this host address>:' + $MetricsPort + ' in ' + $conf)
}

Write-Step 'checking the configuration'
& $exe --check-config --config-file $conf
if ($LASTEXITCODE -ne 0) {
    Write-Host ('   fix ' + $conf + ', then: Start-Service ' + $ServiceName)
    exit 0
}
Write-Host ''
Write-Host 'Done. Next:'
Write-Host ('  1. grant ' + $Account + ' "Log on as a service" and DNS management rights (see the top of this script)')
Write-Host ('  2. Start-Service ' + $ServiceName)
Write-Host ('  3. & "' + (Join-Path $InstallDir 'msdns-agent-replay.exe') + '" --explain --config-file "' + $conf + '" create example.com')
Write-Host '  4. add the agent as a target in Designate''s pools.yaml (type: agent, port 5358; mDNS master on port 53)'
exit 0
