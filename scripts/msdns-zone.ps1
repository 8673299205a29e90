<#
.SYNOPSIS
    Zone operations on the local Microsoft DNS Server, for msdns-agent: one per process, or many with -Serve.

.DESCRIPTION
    One operation per process:
      powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy <policy> -File msdns-zone.ps1
          -Operation Get|Create|Delete|Refresh|List [-Zone <name>] [-Masters <ip>,<ip>] [-DeleteUnmanaged] [-NoConverge]
    The exit code is the whole answer; stdout carries key=value facts for the log, stderr the error.
      0 done (Get: present)   2 zone absent (Get, Refresh)   3 zone present but not ours
      4 bad arguments         5 DNS Server unreachable or access denied      1 any other failure
    List prints one line per zone: zone=<name> type=<Primary|Secondary|Stub|Forwarder> ds=<0|1> masters=<ip,ip|->
    Zones that are not ours (not a file-backed secondary of our masters) are never changed,
    unless -DeleteUnmanaged is given to Delete. With -NoConverge, Create leaves a secondary of
    other masters alone and answers 3.

    Persistent worker: -File msdns-zone.ps1 -Serve. Lines are UTF-8, LF-terminated:
      worker -> agent  "msdns-ready 1"                              once, when ready (after a read-only warm-up)
      agent -> worker  "<seq> <Operation> <zone|-> <masters|-> <flags|->"   flags: DeleteUnmanaged,NoConverge
      worker -> agent  "<seq> fact <key=value ...>"                 zero or more
      worker -> agent  "<seq> exit <code>"                          exactly once, the same codes
    The worker exits 0 when stdin closes. A line without a valid sequence number ends the worker (4).
    Requests are data: checked by the same rules as the parameters, never evaluated.
    Windows PowerShell 5.1; no module but DnsServer. Values are never spliced into code.
    The automatic variable that makes the host read stdin by itself is never used here.
#>
param(
    [string]$Operation = '',
    [string]$Zone = '',
    [string]$Masters = '',
    [switch]$DeleteUnmanaged,
    [switch]$NoConverge,
    [switch]$Serve
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$ConfirmPreference = 'None'

$ExitOk = 0
$ExitFailed = 1
$ExitAbsent = 2
$ExitNotOurs = 3
$ExitBadArgs = 4
$ExitUnreachable = 5

# Our own UTF-8 streams (no BOM, LF): the same bytes whatever the host's console encodings are.
$utf8 = New-Object System.Text.UTF8Encoding($false)
$script:Out = New-Object System.IO.StreamWriter([Console]::OpenStandardOutput(), $utf8)
$script:Out.NewLine = "`n"
$script:Out.AutoFlush = $true
$script:Err = New-Object System.IO.StreamWriter([Console]::OpenStandardError(), $utf8)
$script:Err.NewLine = "`n"
$script:Err.AutoFlush = $true

# The request being served ($null in one-operation mode) and its arguments.
$script:Seq = $null
$script:OpZone = ''
$script:MasterList = @()
$script:Unmanaged = $false
$script:NoConv = $false
$script:WarmingUp = $false

# Text safe for one protocol field: printable ASCII, no spaces; anything else becomes '?'.
function Get-SafeText {
    param([string]$Text)
    if ($null -eq $Text) {
        return ''
    }
    return ($Text -creplace '[^\x21-\x7e]', '?')
}

# One stdout line: as is, or as a fact of the request being served (none during the warm-up).
function Write-OutLine {
    param([string]$Line)
    if ($script:WarmingUp) {
        return
    }
    if ($null -ne $script:Seq) {
        $script:Out.WriteLine([string]$script:Seq + ' fact ' + $Line)
    }
    else {
        $script:Out.WriteLine($Line)
    }
}

function Write-Fact {
    param([string]$Key, [string]$Value)
    Write-OutLine ($Key + '=' + (Get-SafeText $Value))
}

function Write-ErrLine {
    param([string]$Message)
    if ($script:WarmingUp) {
        return
    }
    $text = $Message -creplace '[\r\n]+', ' '
    if ($null -ne $script:Seq) {
        $text = [string]$script:Seq + ' ' + $text
    }
    $script:Err.WriteLine($text)
}

# End the operation with Code (the message goes to stderr): thrown, caught by Invoke-ZoneOperation.
function Stop-Operation {
    param([int]$Code, [string]$Message)
    if ($Message) {
        Write-ErrLine $Message
    }
    $e = New-Object System.Exception ('msdns-zone: exit ' + $Code)
    $e.Data['MsdnsExit'] = $Code
    throw $e
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

# The exit code for a failed cmdlet: 5 when the server cannot be reached or refuses us, else 1.
function Get-ErrorExitCode {
    param($ErrorRecord)
    $code = Get-Win32Code $ErrorRecord
    if ($code -eq 5 -or $code -eq 1722 -or $code -eq 1753) {
        return $ExitUnreachable
    }
    if ($ErrorRecord.Exception -is [System.UnauthorizedAccessException]) {
        return $ExitUnreachable
    }
    return $ExitFailed
}

# End the operation for a failed cmdlet; the error text goes to stderr.
function Stop-WithError {
    param($ErrorRecord, [string]$Doing)
    $text = $Doing + ': ' + $ErrorRecord.Exception.Message + ' (' + [string]$ErrorRecord.FullyQualifiedErrorId + ')'
    Stop-Operation (Get-ErrorExitCode $ErrorRecord) $text
}

$validOps = @('Get', 'Create', 'Delete', 'Refresh', 'List')
# \z, not $: .NET's $ also matches before a final newline.
$zonePattern = '^(?=.{1,253}\z)[A-Za-z0-9_][A-Za-z0-9_-]{0,62}(\.[A-Za-z0-9_-]{1,63})*\z'

# The masters as canonical IP texts; ends the operation with 4 on anything else (dotted quads only for IPv4).
function Get-ValidMasters {
    param([string]$Text)
    $list = @()
    if ($Text -eq '') {
        return , $list
    }
    foreach ($m in $Text.Split(',')) {
        $parsed = $null
        $shaped = ($m -cmatch '^[0-9]{1,3}(\.[0-9]{1,3}){3}\z') -or ($m -cmatch '^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\z')
        if (-not $shaped -or -not [System.Net.IPAddress]::TryParse($m, [ref]$parsed)) {
            Stop-Operation $ExitBadArgs ('-Masters must be IP addresses separated by commas; got ''' + (Get-SafeText $m) + '''')
        }
        $list += $parsed.ToString()
    }
    return , $list
}

# Check one request's arguments (the same rules in both modes); sets the script's operation state.
function Set-Request {
    param([string]$Op, [string]$ZoneName, [string]$MasterText, [bool]$Unmanaged, [bool]$NoConv)
    if ($validOps -cnotcontains $Op) {
        Stop-Operation $ExitBadArgs ('-Operation must be one of Get, Create, Delete, Refresh, List; got ''' + (Get-SafeText $Op) + '''')
    }
    if ($Op -eq 'List') {
        if ($ZoneName -ne '' -or $MasterText -ne '') {
            Stop-Operation $ExitBadArgs 'List takes neither -Zone nor -Masters'
        }
    }
    elseif ($ZoneName -cnotmatch $zonePattern) {
        Stop-Operation $ExitBadArgs '-Zone must be letters, digits, - and _ in dot-separated labels (1-253 characters)'
    }
    $script:OpZone = $ZoneName
    $script:MasterList = Get-ValidMasters $MasterText
    if (($Op -eq 'Create' -or $Op -eq 'Delete') -and $script:MasterList.Count -eq 0) {
        Stop-Operation $ExitBadArgs ('-Masters is required for ' + $Op)
    }
    $script:Unmanaged = $Unmanaged
    $script:NoConv = $NoConv
}

# Load DnsServer once; ends the operation with 1 when it cannot be loaded.
function Import-DnsServer {
    if (Get-Module -Name DnsServer) {
        return
    }
    try {
        Import-Module DnsServer -ErrorAction Stop
    }
    catch {
        Stop-Operation $ExitFailed ('the DnsServer PowerShell module cannot be loaded (is the DNS Server role or RSAT-DNS-Server installed?): ' + $_.Exception.Message)
    }
}

# The zone, or $null when the server says it does not exist (WIN32 9601).
function Get-ZoneOrNull {
    try {
        return (Get-DnsServerZone -Name $script:OpZone -ErrorAction Stop)
    }
    catch {
        if ((Get-Win32Code $_) -eq 9601) {
            return $null
        }
        Stop-WithError $_ 'Get-DnsServerZone'
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
    $want = @($script:MasterList | Sort-Object -Unique)
    return (($have -join ',') -eq ($want -join ','))
}

function Test-FileBackedSecondary {
    param($ZoneObject)
    return ($ZoneObject.ZoneType -eq 'Secondary' -and -not $ZoneObject.IsDsIntegrated)
}

function Write-ZoneFacts {
    param($ZoneObject)
    Write-Fact 'zone' $script:OpZone
    Write-Fact 'type' ([string]$ZoneObject.ZoneType)
    Write-Fact 'dsintegrated' ([string]$ZoneObject.IsDsIntegrated)
    Write-Fact 'masters' ((Get-MasterText $ZoneObject) -join ',')
    $serial = ''
    try {
        $soa = Get-DnsServerResourceRecord -ZoneName $script:OpZone -Name '@' -RRType Soa -ErrorAction Stop
        $serial = [string]$soa.RecordData.SerialNumber
    }
    catch {
        $serial = ''
    }
    Write-Fact 'serial' $serial
}

# The zone file of a zone we made, in the DNS server's directory; $null when the name is not plain
# or there is no %SystemRoot% (only off Windows).
function Get-ZoneFilePath {
    param([string]$FileName)
    if ($FileName -cnotmatch '^[A-Za-z0-9_.-]+\z' -or -not $env:SystemRoot) {
        return $null
    }
    return (Join-Path (Join-Path (Join-Path $env:SystemRoot 'System32') 'dns') $FileName)
}

function Invoke-Get {
    $z = Get-ZoneOrNull
    if ($null -eq $z) {
        return $ExitAbsent
    }
    Write-ZoneFacts $z
    return $ExitOk
}

function Invoke-Create {
    $z = Get-ZoneOrNull
    if ($null -eq $z) {
        $file = $script:OpZone + '.dns'
        $stale = Get-ZoneFilePath $file
        if ($stale -and (Test-Path -LiteralPath $stale)) {
            Remove-Item -LiteralPath $stale -Force
            Write-Fact 'removed_stale_file' $file
        }
        try {
            $null = Add-DnsServerSecondaryZone -Name $script:OpZone -ZoneFile $file -MasterServers $script:MasterList -ErrorAction Stop
            Write-Fact 'result' 'created'
        }
        catch {
            if ((Get-Win32Code $_) -ne 9609) {
                Stop-WithError $_ 'Add-DnsServerSecondaryZone'
            }
            # created meanwhile by someone else: judge it like any zone that was there
            $z = Get-ZoneOrNull
            if ($null -eq $z) {
                Stop-Operation $ExitFailed ('Add-DnsServerSecondaryZone: zone ' + $script:OpZone + ' exists (WIN32 9609) but cannot be read')
            }
            return (Invoke-CreateExisting $z)
        }
        $z = Get-ZoneOrNull
        if ($null -ne $z) {
            Write-ZoneFacts $z
        }
        return $ExitOk
    }
    return (Invoke-CreateExisting $z)
}

# Create for a zone that is there: ours (same masters), converged to our masters, or not ours (3).
function Invoke-CreateExisting {
    param($ZoneObject)
    if (-not (Test-FileBackedSecondary $ZoneObject)) {
        Write-ZoneFacts $ZoneObject
        Stop-Operation $ExitNotOurs ('zone ' + $script:OpZone + ' exists as ' + [string]$ZoneObject.ZoneType + ' (AD-integrated: ' + [string]$ZoneObject.IsDsIntegrated + '); not changed')
    }
    if (Test-SameMasters $ZoneObject) {
        Write-Fact 'result' 'exists'
    }
    elseif ($script:NoConv) {
        Write-ZoneFacts $ZoneObject
        Stop-Operation $ExitNotOurs ('zone ' + $script:OpZone + ' is a secondary of other masters (' + ((Get-MasterText $ZoneObject) -join ',') + '); not changed')
    }
    else {
        try {
            $null = Set-DnsServerSecondaryZone -Name $script:OpZone -MasterServers $script:MasterList -ErrorAction Stop
        }
        catch {
            Stop-WithError $_ 'Set-DnsServerSecondaryZone'
        }
        Write-Fact 'result' 'converged'
    }
    $z = Get-ZoneOrNull
    if ($null -ne $z) {
        Write-ZoneFacts $z
    }
    return $ExitOk
}

function Invoke-Delete {
    $z = Get-ZoneOrNull
    if ($null -eq $z) {
        Write-Fact 'result' 'absent'
        return $ExitOk
    }
    $mine = (Test-FileBackedSecondary $z) -and (Test-SameMasters $z)
    if (-not $mine -and -not $script:Unmanaged) {
        Write-ZoneFacts $z
        Stop-Operation $ExitNotOurs ('zone ' + $script:OpZone + ' is not a file-backed secondary of our masters; not deleted')
    }
    $file = ''
    if ($z.PSObject.Properties['ZoneFile'] -and $z.ZoneFile) {
        $file = [string]$z.ZoneFile
    }
    try {
        $null = Remove-DnsServerZone -Name $script:OpZone -Force -ErrorAction Stop
    }
    catch {
        if ((Get-Win32Code $_) -ne 9601) {
            Stop-WithError $_ 'Remove-DnsServerZone'
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
    return $ExitOk
}

function Invoke-Refresh {
    $z = Get-ZoneOrNull
    if ($null -eq $z) {
        return $ExitAbsent
    }
    if ($z.ZoneType -ne 'Secondary') {
        Write-ZoneFacts $z
        Stop-Operation $ExitNotOurs ('zone ' + $script:OpZone + ' is ' + [string]$z.ZoneType + ', not a secondary; nothing to transfer')
    }
    try {
        $null = Start-DnsServerZoneTransfer -Name $script:OpZone -ErrorAction Stop
    }
    catch {
        if ((Get-Win32Code $_) -eq 9601) {
            return $ExitAbsent
        }
        Stop-WithError $_ 'Start-DnsServerZoneTransfer'
    }
    Write-Fact 'result' 'refreshed'
    Write-ZoneFacts $z
    return $ExitOk
}

# Every zone but the server's automatic ones, one line each; names and types the contract cannot carry
# are skipped with a line on stderr (the agent fails a whole LIST on a line outside the contract).
function Invoke-List {
    $zones = @()
    try {
        $zones = @(Get-DnsServerZone -ErrorAction Stop)
    }
    catch {
        Stop-WithError $_ 'Get-DnsServerZone'
    }
    foreach ($z in $zones) {
        if ($z.PSObject.Properties['IsAutoCreated'] -and $z.IsAutoCreated) {
            continue
        }
        $name = ([string]$z.ZoneName).TrimEnd('.').ToLowerInvariant()
        $type = [string]$z.ZoneType
        if ($name -cnotmatch $zonePattern -or $type -cnotmatch '^(Primary|Secondary|Stub|Forwarder)\z') {
            Write-ErrLine ('List: zone ''' + (Get-SafeText ([string]$z.ZoneName)) + ''' (' + (Get-SafeText $type) + ') not listed: a name or type outside the contract')
            continue
        }
        $ds = '0'
        if ($z.IsDsIntegrated) {
            $ds = '1'
        }
        $m = (Get-MasterText $z) -join ','
        if ($m -eq '') {
            $m = '-'
        }
        Write-OutLine ('zone=' + $name + ' type=' + $type + ' ds=' + $ds + ' masters=' + (Get-SafeText $m))
    }
    return $ExitOk
}

# The one function that does an operation, in both modes: checks the arguments, runs it, returns the exit code.
function Invoke-ZoneOperation {
    param([string]$Op, [string]$ZoneName, [string]$MasterText, [bool]$Unmanaged, [bool]$NoConv)
    try {
        Set-Request $Op $ZoneName $MasterText $Unmanaged $NoConv
        Import-DnsServer
        switch ($Op) {
            'Get' {
                return (Invoke-Get)
            }
            'Create' {
                return (Invoke-Create)
            }
            'Delete' {
                return (Invoke-Delete)
            }
            'Refresh' {
                return (Invoke-Refresh)
            }
            'List' {
                return (Invoke-List)
            }
        }
        return $ExitFailed
    }
    catch {
        if ($_.Exception.Data.Contains('MsdnsExit')) {
            return [int]$_.Exception.Data['MsdnsExit']
        }
        $code = Get-ErrorExitCode $_
        try {
            Write-ErrLine ($Op + ': ' + $_.Exception.Message + ' (' + [string]$_.FullyQualifiedErrorId + ')')
        }
        catch {
            $code = $ExitFailed
        }
        return $code
    }
}

# A -Serve worker's warm-up, before "ready": a fresh PowerShell's first request pays for compiling the
# functions it runs and for the DnsServer module's first calls (on Windows its CIM session): seconds under
# load. Only reads, of a zone that cannot exist (.invalid, RFC 6761): a Get, and the facts of a made-up
# secondary; output dropped, results unused. The first real operation then costs about what later ones cost.
function Invoke-WarmUp {
    $name = 'msdns-agent-warm-up.invalid'
    $script:WarmingUp = $true
    try {
        $null = Invoke-ZoneOperation 'Get' $name '192.0.2.1' $false $false
        $script:OpZone = $name
        $script:MasterList = @('192.0.2.1')
        $made = New-Object PSObject -Property @{
            ZoneType = 'Secondary'; IsDsIntegrated = $false
            MasterServers = [System.Net.IPAddress[]]@([System.Net.IPAddress]::Parse('192.0.2.1'))
        }
        $null = (Test-FileBackedSecondary $made) -and (Test-SameMasters $made)
        $null = Get-ZoneFilePath ($name + '.dns')
        Write-ZoneFacts $made
    }
    catch {
        $null = $_
    }
    finally {
        $script:WarmingUp = $false
        $script:OpZone = ''
        $script:MasterList = @()
        $Error.Clear()
    }
}

# The worker loop: one request line in, facts and one exit line out, until stdin closes.
function Invoke-Serve {
    try {
        Import-DnsServer
    }
    catch {
        return $ExitFailed
    }
    Invoke-WarmUp
    $reader = New-Object System.IO.StreamReader([Console]::OpenStandardInput(), $utf8, $false, 4096)
    $script:Out.WriteLine('msdns-ready 1')
    $last = [long]0
    while ($true) {
        $line = $reader.ReadLine()
        if ($null -eq $line) {
            return $ExitOk
        }
        $f = $line.Split(' ')
        $number = [long]0
        if ($f[0] -cnotmatch '^[1-9][0-9]{0,9}\z' -or -not [long]::TryParse($f[0], [ref]$number) -or $number -gt 2147483648 -or $number -le $last) {
            $shown = $line -creplace '[^\x20-\x7e]', '?'
            if ($shown.Length -gt 200) {
                $shown = $shown.Substring(0, 200)
            }
            $script:Err.WriteLine('msdns-zone: request without a valid sequence number; the worker stops: ' + $shown)
            return $ExitBadArgs
        }
        $last = $number
        # set for each request, cleared before its answer (tests/DnsServer logs each request by the writes of a
        # variable named Seq, reading $f and $code here: keep the names, and no other variable named Seq)
        $script:Seq = $number
        $code = $ExitBadArgs
        if ($f.Count -ne 5) {
            Write-ErrLine 'a request has 5 fields: <seq> <Operation> <zone|-> <masters|-> <flags|->'
        }
        else {
            $zn = $f[2]
            if ($zn -ceq '-') {
                $zn = ''
            }
            $mt = $f[3]
            if ($mt -ceq '-') {
                $mt = ''
            }
            $unmanaged = $false
            $noconv = $false
            $flagsOk = $true
            if ($f[4] -cne '-') {
                foreach ($flag in $f[4].Split(',')) {
                    if ($flag -ceq 'DeleteUnmanaged') {
                        $unmanaged = $true
                    }
                    elseif ($flag -ceq 'NoConverge') {
                        $noconv = $true
                    }
                    else {
                        $flagsOk = $false
                    }
                }
            }
            if ($flagsOk) {
                $code = Invoke-ZoneOperation $f[1] $zn $mt $unmanaged $noconv
            }
            else {
                Write-ErrLine ('flags must be - or a comma list of DeleteUnmanaged,NoConverge; got ''' + (Get-SafeText $f[4]) + '''')
            }
        }
        # cleared before the answer: the tests' DnsServer stand-in logs the request's end on this write
        $script:Seq = $null
        $script:Out.WriteLine([string]$number + ' exit ' + [string]$code)
        $Error.Clear()
    }
}

if ($args.Count -gt 0) {
    $script:Err.WriteLine('unknown arguments: ' + (Get-SafeText ($args -join ' ')))
    exit $ExitBadArgs
}
if ($Serve) {
    if ($Operation -ne '' -or $Zone -ne '' -or $Masters -ne '' -or $DeleteUnmanaged -or $NoConverge) {
        $script:Err.WriteLine('-Serve takes no other parameter')
        exit $ExitBadArgs
    }
    exit (Invoke-Serve)
}
exit (Invoke-ZoneOperation $Operation $Zone $Masters $DeleteUnmanaged.IsPresent $NoConverge.IsPresent)
