<#
.SYNOPSIS
    One zone operation on the local Microsoft DNS Server, for msdns-agent.

.DESCRIPTION
    Started by msdns-agent once per operation:
      powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy <policy> -File msdns-zone.ps1
          -Operation Get|Create|Delete|Refresh -Zone <name> [-Masters <ip>,<ip>] [-DeleteUnmanaged]
    The exit code is the whole answer; stdout carries key=value facts for the log, stderr the error.
      0 done (Get: present)   2 zone absent (Get, Refresh)   3 zone present but not ours
      4 bad arguments         5 DNS Server unreachable or access denied      1 any other failure
    Zones that are not ours (not a file-backed secondary of our masters) are never changed,
    unless -DeleteUnmanaged is given to Delete.
    Windows PowerShell 5.1; no module but DnsServer. Values are never spliced into code.
#>
param(
    [string]$Operation = '',
    [string]$Zone = '',
    [string]$Masters = '',
    [switch]$DeleteUnmanaged
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$ExitOk = 0
$ExitFailed = 1
$ExitAbsent = 2
$ExitNotOurs = 3
$ExitBadArgs = 4
$ExitUnreachable = 5

function Write-Fact {
    param([string]$Key, [string]$Value)
    [Console]::Out.WriteLine($Key + '=' + $Value)
}

function Exit-With {
    param([int]$Code, [string]$Message)
    if ($Message) {
        [Console]::Error.WriteLine($Message)
    }
    exit $Code
}

# The WIN32 code of a DnsServer cmdlet's error record ("WIN32 9601,Get-DnsServerZone"), or 0.
function Get-Win32Code {
    param($ErrorRecord)
    $id = [string]$ErrorRecord.FullyQualifiedErrorId
    if ($id -match '^WIN32 (\d+)') {
        return [int]$Matches[1]
    }
    return 0
}

# Leave with 5 when the server cannot be reached or refuses us, else 1; the error text goes to stderr.
function Exit-WithError {
    param($ErrorRecord, [string]$Doing)
    $code = Get-Win32Code $ErrorRecord
    $text = $Doing + ': ' + $ErrorRecord.Exception.Message + ' (' + [string]$ErrorRecord.FullyQualifiedErrorId + ')'
    if ($code -eq 5 -or $code -eq 1722 -or $code -eq 1753) {
        Exit-With $ExitUnreachable $text
    }
    if ($ErrorRecord.Exception -is [System.UnauthorizedAccessException]) {
        Exit-With $ExitUnreachable $text
    }
    Exit-With $ExitFailed $text
}

# Our own parameter validation: exit 4 with a sentence rather than a binding error.
$validOps = @('Get', 'Create', 'Delete', 'Refresh')
if ($validOps -cnotcontains $Operation) {
    Exit-With $ExitBadArgs ('-Operation must be one of Get, Create, Delete, Refresh; got ''' + $Operation + '''')
}
$zonePattern = '^(?=.{1,253}$)[A-Za-z0-9_][A-Za-z0-9_-]{0,62}(\.[A-Za-z0-9_-]{1,63})*$'
if ($Zone -cnotmatch $zonePattern) {
    Exit-With $ExitBadArgs '-Zone must be letters, digits, - and _ in dot-separated labels (1-253 characters)'
}
$masterList = @()
if ($Masters -ne '') {
    foreach ($m in $Masters.Split(',')) {
        $parsed = $null
        if ($m -cnotmatch '^[0-9A-Fa-f:.]+$' -or -not [System.Net.IPAddress]::TryParse($m, [ref]$parsed)) {
            Exit-With $ExitBadArgs ('-Masters must be IP addresses separated by commas; got ''' + $m + '''')
        }
        $masterList += $parsed.ToString()
    }
}
if (($Operation -eq 'Create' -or $Operation -eq 'Delete') -and $masterList.Count -eq 0) {
    Exit-With $ExitBadArgs ('-Masters is required for ' + $Operation)
}

try {
    Import-Module DnsServer -ErrorAction Stop
}
catch {
    Exit-With $ExitFailed ('the DnsServer PowerShell module cannot be loaded (is the DNS Server role or RSAT-DNS-Server installed?): ' + $_.Exception.Message)
}

# The zone, or $null when the server says it does not exist (WIN32 9601).
function Get-ZoneOrNull {
    try {
        return Get-DnsServerZone -Name $Zone -ErrorAction Stop
    }
    catch {
        if ((Get-Win32Code $_) -eq 9601) {
            return $null
        }
        Exit-WithError $_ 'Get-DnsServerZone'
    }
}

function Get-MasterText {
    param($ZoneObject)
    $list = @()
    if ($ZoneObject.PSObject.Properties['MasterServers'] -and $ZoneObject.MasterServers) {
        foreach ($ip in $ZoneObject.MasterServers) {
            $list += $ip.IPAddressToString
        }
    }
    return @($list | Sort-Object -Unique)
}

function Test-SameMasters {
    param($ZoneObject)
    $have = Get-MasterText $ZoneObject
    $want = @($masterList | Sort-Object -Unique)
    return (($have -join ',') -eq ($want -join ','))
}

function Test-FileBackedSecondary {
    param($ZoneObject)
    return ($ZoneObject.ZoneType -eq 'Secondary' -and -not $ZoneObject.IsDsIntegrated)
}

function Write-ZoneFacts {
    param($ZoneObject)
    Write-Fact 'zone' $Zone
    Write-Fact 'type' ([string]$ZoneObject.ZoneType)
    Write-Fact 'dsintegrated' ([string]$ZoneObject.IsDsIntegrated)
    Write-Fact 'masters' ((Get-MasterText $ZoneObject) -join ',')
    $serial = ''
    try {
        $soa = Get-DnsServerResourceRecord -ZoneName $Zone -Name '@' -RRType Soa -ErrorAction Stop
        $serial = [string]$soa.RecordData.SerialNumber
    }
    catch {
        $serial = ''
    }
    Write-Fact 'serial' $serial
}

# The zone file of a zone we made, in the DNS server's directory; $null when the name is not plain.
function Get-ZoneFilePath {
    param([string]$FileName)
    if ($FileName -cnotmatch '^[A-Za-z0-9_.-]+$') {
        return $null
    }
    return (Join-Path (Join-Path $env:SystemRoot 'System32\dns') $FileName)
}

function Invoke-Create {
    $z = Get-ZoneOrNull
    if ($null -eq $z) {
        $file = $Zone + '.dns'
        $stale = Get-ZoneFilePath $file
        if ($stale -and (Test-Path -LiteralPath $stale)) {
            Remove-Item -LiteralPath $stale -Force
            Write-Fact 'removed_stale_file' $file
        }
        try {
            Add-DnsServerSecondaryZone -Name $Zone -ZoneFile $file -MasterServers $masterList -ErrorAction Stop
            Write-Fact 'result' 'created'
        }
        catch {
            if ((Get-Win32Code $_) -ne 9609) {
                Exit-WithError $_ 'Add-DnsServerSecondaryZone'
            }
            Write-Fact 'result' 'exists'
        }
        $z = Get-ZoneOrNull
        if ($null -ne $z) {
            Write-ZoneFacts $z
        }
        exit $ExitOk
    }
    if (-not (Test-FileBackedSecondary $z)) {
        Write-ZoneFacts $z
        Exit-With $ExitNotOurs ('zone ' + $Zone + ' exists as ' + [string]$z.ZoneType + ' (AD-integrated: ' + [string]$z.IsDsIntegrated + '); not changed')
    }
    if (Test-SameMasters $z) {
        Write-Fact 'result' 'exists'
    }
    else {
        try {
            Set-DnsServerSecondaryZone -Name $Zone -MasterServers $masterList -ErrorAction Stop
        }
        catch {
            Exit-WithError $_ 'Set-DnsServerSecondaryZone'
        }
        Write-Fact 'result' 'converged'
    }
    Write-ZoneFacts (Get-ZoneOrNull)
    exit $ExitOk
}

function Invoke-Delete {
    $z = Get-ZoneOrNull
    if ($null -eq $z) {
        Write-Fact 'result' 'absent'
        exit $ExitOk
    }
    $mine = (Test-FileBackedSecondary $z) -and (Test-SameMasters $z)
    if (-not $mine -and -not $DeleteUnmanaged) {
        Write-ZoneFacts $z
        Exit-With $ExitNotOurs ('zone ' + $Zone + ' is not a file-backed secondary of our masters; not deleted')
    }
    $file = ''
    if ($z.PSObject.Properties['ZoneFile'] -and $z.ZoneFile) {
        $file = [string]$z.ZoneFile
    }
    try {
        Remove-DnsServerZone -Name $Zone -Force -ErrorAction Stop
    }
    catch {
        if ((Get-Win32Code $_) -ne 9601) {
            Exit-WithError $_ 'Remove-DnsServerZone'
        }
    }
    if ($file -and -not $z.IsDsIntegrated) {
        $path = Get-ZoneFilePath $file
        if ($path -and (Test-Path -LiteralPath $path)) {
            Remove-Item -LiteralPath $path -Force
            Write-Fact 'removed_file' $file
        }
    }
    Write-Fact 'result' 'deleted'
    exit $ExitOk
}

function Invoke-Refresh {
    $z = Get-ZoneOrNull
    if ($null -eq $z) {
        exit $ExitAbsent
    }
    if ($z.ZoneType -ne 'Secondary') {
        Write-ZoneFacts $z
        Exit-With $ExitNotOurs ('zone ' + $Zone + ' is ' + [string]$z.ZoneType + ', not a secondary; nothing to transfer')
    }
    try {
        Start-DnsServerZoneTransfer -Name $Zone -ErrorAction Stop
    }
    catch {
        if ((Get-Win32Code $_) -eq 9601) {
            exit $ExitAbsent
        }
        Exit-WithError $_ 'Start-DnsServerZoneTransfer'
    }
    Write-Fact 'result' 'refreshed'
    Write-ZoneFacts $z
    exit $ExitOk
}

try {
    switch ($Operation) {
        'Get' {
            $z = Get-ZoneOrNull
            if ($null -eq $z) {
                exit $ExitAbsent
            }
            Write-ZoneFacts $z
            exit $ExitOk
        }
        'Create' {
            Invoke-Create
        }
        'Delete' {
            Invoke-Delete
        }
        'Refresh' {
            Invoke-Refresh
        }
    }
}
catch {
    Exit-WithError $_ $Operation
}
exit $ExitFailed
