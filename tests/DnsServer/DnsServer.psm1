<#
    DnsServer stand-in (tests only): the cmdlets scripts/msdns-zone.ps1 calls, with Windows Server's
    DnsServer module's names, parameters and error records, over zones kept in a directory.

    What each behaviour is based on
    - Parameter names, types, positions and sets: Microsoft's cmdlet reference
      (learn.microsoft.com/powershell/module/dnsserver/: Get-DnsServerZone, Add-DnsServerSecondaryZone
      [sets ForwardLookupZone / ReverseLookupZone], Set-DnsServerSecondaryZone, Remove-DnsServerZone,
      Start-DnsServerZoneTransfer, Get-DnsServerResourceRecord) and its 2012 R2 pages (jj649900,
      jj649920); summarised in /work/shared/docs/RESEARCH-WINDOWS-DNS.md section 3.
      -CimSession, -ThrottleLimit and -AsJob are accepted and ignored (every call is local).
    - Errors (RESEARCH-WINDOWS-DNS.md 3.1): the real cmdlets are CDXML over CIM; a failure is written as
      an error record whose exception is a Microsoft.Management.Infrastructure.CimException and whose
      FullyQualifiedErrorId is "WIN32 <code>,<cmdlet>". It is written with WriteError like every CIM
      cmdlet's error, so -ErrorAction Stop (or $ErrorActionPreference = 'Stop') makes it terminating
      and -ErrorAction SilentlyContinue hides it, as public scripts rely on. Codes and categories:
        9601 zone does not exist          ObjectNotFound   "The zone <z> was not found on server <s>."
        9609 zone already exists          ResourceExists   "Failed to create zone <z> on server <s>."
        9613 zone is not a secondary      InvalidOperation (assumption: no captured real record)
        9714 name does not exist (SOA of a zone never transferred) ObjectNotFound (assumption)
        5    access denied                PermissionDenied
        1722 RPC server unavailable       NotSpecified     (BlueTuxedo #41 shows NotSpecified for 1753)
    - Objects: Get-DnsServerZone returns one object per zone typed
      CimInstance#root/Microsoft/Windows/DNS/DnsServer<Type>Zone with the properties tools read (Ansible's
      Get-DnsZoneObject, MS examples): ZoneName, ZoneType, IsAutoCreated, IsDsIntegrated,
      IsReverseLookupZone, IsSigned, IsPaused, IsShutdown, ZoneFile, ReplicationScope, DynamicUpdate, and
      MasterServers as [System.Net.IPAddress[]] only on the zone types that have masters (Secondary,
      Stub, Forwarder): a primary zone has no such property, as DnsServerPrimaryZone has none.
    - Remove-DnsServerZone asks for confirmation unless -Force (reference: "By default, the cmdlet prompts
      you for confirmation"); under -NonInteractive that prompt is an error, as on Windows.
    - Zone files: the DNS Server keeps file-backed zones in %SystemRoot%\System32\dns; the stand-in writes
      them to $env:SystemRoot/System32/dns when SystemRoot is set, else to <state>/files. Unlike a real
      server, which writes a secondary's file after its first transfer, the file is written at creation,
      as tests/pssim.c does (the masters of the tests never answer).
    - Transfers: Start-DnsServerZoneTransfer returns at once (the reference does not say it waits); the
      stand-in counts a successful transfer by adding 1 to the zone's serial, like tests/pssim.c.

    State ($env:PSSIM_STATE, the directory tests/pssim.c uses, same layout, so one set of assertions reads
    both): zones/<zone> holds key=value lines type, masters (comma-separated), dsintegrated (true/false),
    serial (empty: never transferred), zonefile, and optionally autocreated (true/false). calls.log gets
    "start <Operation> <zone> 0 pid=<pid> t=<ms>" when the module is loaded by a one-operation script run,
    "end <Operation> <zone> - pid=<pid>" when that process ends; in a -Serve worker "serve pid=<pid>" once, then
    per request "start <Operation> <zone> 0 pid=<pid> t=<ms>" and "end <Operation> <zone> <code> pid=<pid> t=<ms>"
    (before its answer: see Get-ServeField); and "cmdlet <Cmdlet> <zone> pid=<pid>" for every call.
    Faults: $env:PSSIM_FAULT, or the file faults/<zone>, holding one of
      hang                the cmdlet never returns
      hold                the cmdlet waits while faults/<zone> says hold, then goes on as without a fault
      slow                every cmdlet call takes 300 ms more
      unreachable         WIN32 1722 (the DNS Server service is down)
      denied              WIN32 5 (access denied)
      never-transferred   the zone is created but no transfer ever succeeds (serial stays empty)
      exit=N              the process ends at once with code N ([Environment]::Exit)
      crash               the process kills itself
#>

Set-StrictMode -Version 2.0

$script:State = $env:PSSIM_STATE
if (-not $script:State) {
    throw 'DnsServer stand-in: PSSIM_STATE is not set (the directory holding the zones)'
}
$script:ZonesDir = Join-Path $script:State 'zones'
$script:FaultsDir = Join-Path $script:State 'faults'
$script:Calls = Join-Path $script:State 'calls.log'
if ($env:SystemRoot) {
    $script:FilesDir = Join-Path (Join-Path $env:SystemRoot 'System32') 'dns'
}
else {
    $script:FilesDir = Join-Path $script:State 'files'
}
foreach ($d in @($script:State, $script:ZonesDir, $script:FilesDir)) {
    if (-not (Test-Path -LiteralPath $d)) {
        $null = New-Item -ItemType Directory -Path $d -Force
    }
}

# One line appended under an exclusive lock: .NET appends without O_APPEND on Linux (seek to the end, then
# write), so workers or processes appending at once could overwrite each other's lines; FileShare None is
# a flock there, taken in turn.
function Write-CallLog {
    param([string]$Line)
    $bytes = [System.Text.Encoding]::UTF8.GetBytes($Line + "`n")
    for ($try = 0; ; $try++) {
        try {
            $fs = [System.IO.File]::Open($script:Calls, [System.IO.FileMode]::Append, [System.IO.FileAccess]::Write, [System.IO.FileShare]::None)
        }
        catch [System.IO.IOException] {
            if ($try -ge 2000) {
                throw
            }
            Start-Sleep -Milliseconds 5
            continue
        }
        try {
            $fs.Write($bytes, 0, $bytes.Length)
        }
        finally {
            $fs.Dispose()
        }
        return
    }
}

# The operation of a one-operation run, from the process's command line (the module cannot see the
# script's parameters): what tests/pssim.c records as "start".
$script:RunOp = $null
$script:RunZone = '-'
$script:Serving = $false
$argv = [Environment]::GetCommandLineArgs()
for ($i = 0; $i -lt $argv.Count; $i++) {
    if ($argv[$i] -eq '-Operation' -and $i + 1 -lt $argv.Count) {
        $script:RunOp = $argv[$i + 1]
    }
    elseif ($argv[$i] -eq '-Zone' -and $i + 1 -lt $argv.Count) {
        $script:RunZone = $argv[$i + 1]
    }
    elseif ($argv[$i] -eq '-Serve') {
        $script:Serving = $true
    }
}
if ($script:RunOp) {
    Write-CallLog ('start ' + $script:RunOp + ' ' + $script:RunZone + ' 0 pid=' + $PID + ' t=' + [Environment]::TickCount64)
    # the action sees neither this module's variables nor a closure's: it works the line out again
    $null = Register-EngineEvent -SourceIdentifier PowerShell.Exiting -Action {
        $a = [Environment]::GetCommandLineArgs()
        $op = '-'
        $zn = '-'
        for ($k = 0; $k -lt $a.Count - 1; $k++) {
            if ($a[$k] -eq '-Operation') {
                $op = $a[$k + 1]
            }
            elseif ($a[$k] -eq '-Zone') {
                $zn = $a[$k + 1]
            }
        }
        $bytes = [System.Text.Encoding]::UTF8.GetBytes('end ' + $op + ' ' + $zn + ' - pid=' + $PID + "`n")
        for ($try = 0; $try -lt 2000; $try++) {   # as Write-CallLog: appended under an exclusive lock
            try {
                $fs = [System.IO.File]::Open([System.IO.Path]::Combine($env:PSSIM_STATE, 'calls.log'),
                    [System.IO.FileMode]::Append, [System.IO.FileAccess]::Write, [System.IO.FileShare]::None)
            }
            catch [System.IO.IOException] {
                Start-Sleep -Milliseconds 5
                continue
            }
            try {
                $fs.Write($bytes, 0, $bytes.Length)
            }
            finally {
                $fs.Dispose()
            }
            break
        }
    }
}

# A -Serve worker loads the module once and serves many requests: each request is logged as a one-operation
# run's process is, "start <Operation> <zone> 0 pid= t=" when the script takes it and "end <Operation> <zone>
# <code> pid= t=" before its answer is written (as tests/pssim.c -Serve does), so the tests count operations
# the same way in both modes. The module cannot see the script's variables, so it watches them: the script
# sets $script:Seq when it takes a request and clears it before writing the answer (a variable breakpoint
# fires on each write, before it), and the request's fields ($f) and exit code ($code) are read from the
# caller's frame (Invoke-Serve). Test instrumentation only: the real DnsServer module does nothing of this.
function Get-ServeField {
    param($Vars, [string]$Name, [int]$Index)
    if (-not $Vars.ContainsKey($Name)) {
        return '-'
    }
    $v = @($Vars[$Name].Value)
    if ($Index -ge $v.Count -or [string]$v[$Index] -eq '') {
        return '-'
    }
    return ([string]$v[$Index] -creplace '[^\x21-\x7e]', '?')
}

if ($script:Serving) {
    Write-CallLog ('serve pid=' + $PID)
    $script:InRequest = $false
    $null = Set-PSBreakpoint -Variable Seq -Mode Write -Action {
        foreach ($frame in @(Get-PSCallStack)) {
            $vars = $frame.GetFrameVariables()
            if ($frame.FunctionName -ne 'Invoke-Serve' -or -not $vars.ContainsKey('f')) {
                continue
            }
            $op = Get-ServeField $vars 'f' 1
            $zn = Get-ServeField $vars 'f' 2
            if (-not $script:InRequest) {
                $script:InRequest = $true
                Write-CallLog ('start ' + $op + ' ' + $zn + ' 0 pid=' + $PID + ' t=' + [Environment]::TickCount64)
            }
            else {
                $script:InRequest = $false
                Write-CallLog ('end ' + $op + ' ' + $zn + ' ' + (Get-ServeField $vars 'code' 0) + ' pid=' + $PID +
                    ' t=' + [Environment]::TickCount64)
            }
            break
        }
    }
}

function Get-ServerName {
    param([string]$ComputerName)
    if ($ComputerName) {
        return $ComputerName
    }
    return [Environment]::MachineName
}

# Write the error a CDXML DnsServer cmdlet writes: CimException, id "WIN32 <code>" (PowerShell appends
# ",<cmdlet>"), the category, the zone as target.
function Write-DnsError {
    param($Cmdlet, [int]$Code, [System.Management.Automation.ErrorCategory]$Category, [string]$Message, [string]$Target)
    $ex = New-Object Microsoft.Management.Infrastructure.CimException $Message
    $rec = New-Object System.Management.Automation.ErrorRecord $ex, ('WIN32 ' + $Code), $Category, $Target
    $Cmdlet.WriteError($rec)
}

function Get-ZonePath {
    param([string]$Name)
    return (Join-Path $script:ZonesDir ($Name.TrimEnd(".").ToLowerInvariant()))
}

# A name the stand-in can keep as a file name; anything else is refused as the server refuses a bad name.
function Test-PlainName {
    param([string]$Name)
    return ($Name -match '^[A-Za-z0-9_-][A-Za-z0-9_.-]*$' -and $Name -notmatch '\.\.')
}

function Read-Zone {
    param([string]$Name)
    $path = Get-ZonePath $Name
    if (-not (Test-PlainName $Name) -or -not (Test-Path -LiteralPath $path)) {
        return $null
    }
    $z = @{ type = ''; masters = ''; dsintegrated = 'false'; serial = ''; zonefile = ''; autocreated = 'false' }
    foreach ($line in [System.IO.File]::ReadAllLines($path)) {
        $eq = $line.IndexOf('=')
        if ($eq -gt 0) {
            $z[$line.Substring(0, $eq)] = $line.Substring($eq + 1)
        }
    }
    $z['name'] = $Name.TrimEnd('.').ToLowerInvariant()
    return $z
}

# Save a zone: temp file and rename; with -New, fail (return $false) when the zone already exists.
function Save-Zone {
    param([hashtable]$Zone, [switch]$New)
    $path = Get-ZonePath $Zone['name']
    $tmp = $path + '.tmp' + $PID
    $text = 'type=' + $Zone['type'] + "`nmasters=" + $Zone['masters'] + "`ndsintegrated=" + $Zone['dsintegrated'] +
        "`nserial=" + $Zone['serial'] + "`nzonefile=" + $Zone['zonefile'] + "`n"
    if ($Zone['autocreated'] -eq 'true') {
        $text += "autocreated=true`n"
    }
    [System.IO.File]::WriteAllText($tmp, $text)
    if ($New) {
        try {
            [System.IO.File]::Move($tmp, $path, $false)
        }
        catch {
            Remove-Item -LiteralPath $tmp -Force
            return $false
        }
        return $true
    }
    [System.IO.File]::Move($tmp, $path, $true)
    return $true
}

function ConvertTo-ZoneObject {
    param([hashtable]$Zone)
    $type = $Zone['type']
    $cimType = $type
    if ($type -eq 'Forwarder') {
        $cimType = 'ConditionalForwarder'
    }
    $ds = $Zone['dsintegrated'] -eq 'true'
    $scope = 'None'
    if ($ds) {
        $scope = 'Domain'
    }
    $o = [ordered]@{
        ZoneName            = $Zone['name']
        ZoneType            = $type
        IsAutoCreated       = ($Zone['autocreated'] -eq 'true')
        IsDsIntegrated      = $ds
        IsReverseLookupZone = ($Zone['name'] -match '\.(in-addr|ip6)\.arpa$')
        IsSigned            = $false
        IsPaused            = $false
        IsShutdown          = ($type -eq 'Secondary' -and $Zone['serial'] -eq '')
        ZoneFile            = $null
        ReplicationScope    = $scope
        DynamicUpdate       = 'None'
        PSComputerName      = $null
    }
    if (-not $ds -and $Zone['zonefile']) {
        $o['ZoneFile'] = $Zone['zonefile']
    }
    if ($type -eq 'Secondary' -or $type -eq 'Stub' -or $type -eq 'Forwarder') {
        $ips = New-Object 'System.Collections.Generic.List[System.Net.IPAddress]'
        foreach ($m in $Zone['masters'].Split(',')) {
            if ($m) {
                $ips.Add([System.Net.IPAddress]::Parse($m))
            }
        }
        $o['MasterServers'] = [System.Net.IPAddress[]]$ips.ToArray()
    }
    $obj = New-Object PSObject -Property $o
    $obj.PSObject.TypeNames.Insert(0, 'Microsoft.Management.Infrastructure.CimInstance#DnsServerZone')
    $obj.PSObject.TypeNames.Insert(0, 'Microsoft.Management.Infrastructure.CimInstance#root/Microsoft/Windows/DNS/DnsServer' + $cimType + 'Zone')
    return $obj
}

function Get-Fault {
    param([string]$Name)
    if ($env:PSSIM_FAULT) {
        return $env:PSSIM_FAULT
    }
    if ($Name -and (Test-PlainName $Name)) {
        $p = Join-Path $script:FaultsDir ($Name.TrimEnd(".").ToLowerInvariant())
        if (Test-Path -LiteralPath $p) {
            return ([System.IO.File]::ReadAllText($p)).Trim()
        }
    }
    return ''
}

# Log the call and play the zone's fault; returns $false when the cmdlet must stop (an error was written).
function Enter-Call {
    param($Cmdlet, [string]$Name, [string]$ComputerName)
    $n = $Name
    if (-not $n) {
        $n = '-'
    }
    Write-CallLog ('cmdlet ' + $Cmdlet.MyInvocation.MyCommand.Name + ' ' + $n + ' pid=' + $PID)
    $fault = Get-Fault $Name
    while ($fault -eq 'hold') {
        Start-Sleep -Milliseconds 20
        $fault = Get-Fault $Name
    }
    $server = Get-ServerName $ComputerName
    if ($fault -eq 'hang') {
        while ($true) {
            Start-Sleep -Seconds 1
        }
    }
    if ($fault -eq 'slow') {
        Start-Sleep -Milliseconds 300
    }
    if ($fault -eq 'crash') {
        [System.Diagnostics.Process]::GetCurrentProcess().Kill()
    }
    if ($fault -match '^exit=(\d+)$') {
        [Environment]::Exit([int]$Matches[1])
    }
    if ($fault -eq 'unreachable') {
        Write-DnsError $Cmdlet 1722 NotSpecified ('Failed to get the zone information for ' + $n + ' on server ' + $server + '.') $n
        return $false
    }
    if ($fault -eq 'denied') {
        Write-DnsError $Cmdlet 5 PermissionDenied ('Failed to get the zone information for ' + $n + ' on server ' + $server + '. Access is denied.') $n
        return $false
    }
    return $true
}

function Write-NotFound {
    param($Cmdlet, [string]$Name, [string]$ComputerName)
    Write-DnsError $Cmdlet 9601 ObjectNotFound ('The zone ' + $Name + ' was not found on server ' + (Get-ServerName $ComputerName) + '.') $Name
}

function Get-DnsServerZone {
    [CmdletBinding(DefaultParameterSetName = 'Get1')]
    [OutputType('Microsoft.Management.Infrastructure.CimInstance#DnsServerZone')]
    param(
        [Parameter(Position = 0)]
        [string[]]$Name,
        [string]$ComputerName,
        [string]$VirtualizationInstance,
        [Alias('Session')]
        [Microsoft.Management.Infrastructure.CimSession[]]$CimSession,
        [int]$ThrottleLimit,
        [switch]$AsJob
    )
    if (-not $Name) {
        if (-not (Enter-Call $PSCmdlet '' $ComputerName)) {
            return
        }
        foreach ($f in [System.IO.Directory]::GetFiles($script:ZonesDir)) {
            $leaf = [System.IO.Path]::GetFileName($f)
            if ($leaf -match '\.tmp\d+$') {
                continue
            }
            $z = Read-Zone $leaf
            if ($null -ne $z) {
                ConvertTo-ZoneObject $z
            }
        }
        return
    }
    foreach ($n in $Name) {
        if (-not (Enter-Call $PSCmdlet $n $ComputerName)) {
            continue
        }
        $z = Read-Zone $n
        if ($null -eq $z) {
            Write-NotFound $PSCmdlet $n $ComputerName
            continue
        }
        ConvertTo-ZoneObject $z
    }
}

function Add-DnsServerSecondaryZone {
    [CmdletBinding(DefaultParameterSetName = 'ForwardLookupZone', SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(ParameterSetName = 'ForwardLookupZone', Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('ZoneName')]
        [string]$Name,
        [Parameter(ParameterSetName = 'ReverseLookupZone', Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [string]$NetworkId,
        [Parameter(Mandatory = $true, Position = 1, ValueFromPipelineByPropertyName = $true)]
        [string]$ZoneFile,
        [Parameter(Mandatory = $true, Position = 2, ValueFromPipelineByPropertyName = $true)]
        [System.Net.IPAddress[]]$MasterServers,
        [switch]$LoadExisting,
        [string]$ComputerName,
        [switch]$PassThru,
        [Alias('Session')]
        [Microsoft.Management.Infrastructure.CimSession[]]$CimSession,
        [int]$ThrottleLimit,
        [switch]$AsJob
    )
    if ($PSCmdlet.ParameterSetName -eq 'ReverseLookupZone') {
        Write-DnsError $PSCmdlet 9611 InvalidArgument 'The DnsServer stand-in does not create reverse zones from -NetworkId.' $NetworkId
        return
    }
    if (-not (Enter-Call $PSCmdlet $Name $ComputerName)) {
        return
    }
    if (-not (Test-PlainName $Name)) {
        Write-DnsError $PSCmdlet 123 InvalidArgument ('Failed to create zone ' + $Name + ' on server ' + (Get-ServerName $ComputerName) + '.') $Name
        return
    }
    if (-not $PSCmdlet.ShouldProcess($Name, 'Add-DnsServerSecondaryZone')) {
        return
    }
    $masters = @($MasterServers | ForEach-Object { $_.IPAddressToString }) -join ','
    $z = @{ name = $Name.TrimEnd('.').ToLowerInvariant(); type = 'Secondary'; masters = $masters; dsintegrated = 'false';
        serial = ''; zonefile = $ZoneFile; autocreated = 'false' }
    if (-not (Save-Zone $z -New)) {
        Write-DnsError $PSCmdlet 9609 ResourceExists ('Failed to create zone ' + $Name + ' on server ' + (Get-ServerName $ComputerName) + '.') $Name
        return
    }
    if ($ZoneFile -match '^[A-Za-z0-9_.-]+$' -and -not $LoadExisting) {
        [System.IO.File]::WriteAllText((Join-Path $script:FilesDir $ZoneFile), '')
    }
    if ($PassThru) {
        ConvertTo-ZoneObject $z
    }
}

function Set-DnsServerSecondaryZone {
    [CmdletBinding(DefaultParameterSetName = 'Set2', SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('ZoneName')]
        [string]$Name,
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = $true)]
        [System.Net.IPAddress[]]$MasterServers,
        [Parameter(Position = 2, ValueFromPipelineByPropertyName = $true)]
        [string]$ZoneFile,
        [bool]$IgnorePolicies,
        [string]$ComputerName,
        [switch]$PassThru,
        [Alias('Session')]
        [Microsoft.Management.Infrastructure.CimSession[]]$CimSession,
        [int]$ThrottleLimit,
        [switch]$AsJob
    )
    if (-not (Enter-Call $PSCmdlet $Name $ComputerName)) {
        return
    }
    $z = Read-Zone $Name
    if ($null -eq $z) {
        Write-NotFound $PSCmdlet $Name $ComputerName
        return
    }
    if ($z['type'] -ne 'Secondary') {
        Write-DnsError $PSCmdlet 9613 InvalidOperation ('Zone ' + $Name + ' on server ' + (Get-ServerName $ComputerName) + ' is not a secondary zone.') $Name
        return
    }
    if (-not $PSCmdlet.ShouldProcess($Name, 'Set-DnsServerSecondaryZone')) {
        return
    }
    if ($PSBoundParameters.ContainsKey('MasterServers')) {
        $z['masters'] = @($MasterServers | ForEach-Object { $_.IPAddressToString }) -join ','
    }
    if ($PSBoundParameters.ContainsKey('ZoneFile')) {
        $z['zonefile'] = $ZoneFile
    }
    $null = Save-Zone $z
    if ($PassThru) {
        ConvertTo-ZoneObject $z
    }
}

function Remove-DnsServerZone {
    [CmdletBinding(DefaultParameterSetName = 'Remove0', SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('ZoneName')]
        [string]$Name,
        [string]$ComputerName,
        [switch]$PassThru,
        [switch]$Force,
        [string]$VirtualizationInstance,
        [Alias('Session')]
        [Microsoft.Management.Infrastructure.CimSession[]]$CimSession,
        [int]$ThrottleLimit,
        [switch]$AsJob
    )
    if (-not (Enter-Call $PSCmdlet $Name $ComputerName)) {
        return
    }
    $z = Read-Zone $Name
    if ($null -eq $z) {
        Write-NotFound $PSCmdlet $Name $ComputerName
        return
    }
    if (-not $Force -and -not $PSCmdlet.ShouldProcess($Name, 'Remove-DnsServerZone')) {
        return
    }
    Remove-Item -LiteralPath (Get-ZonePath $Name) -Force
    if ($PassThru) {
        ConvertTo-ZoneObject $z
    }
}

function Start-DnsServerZoneTransfer {
    [CmdletBinding(DefaultParameterSetName = 'Start1', SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('ZoneName')]
        [string]$Name,
        [string]$ComputerName,
        [switch]$FullTransfer,
        [switch]$PassThru,
        [Alias('Session')]
        [Microsoft.Management.Infrastructure.CimSession[]]$CimSession,
        [int]$ThrottleLimit,
        [switch]$AsJob
    )
    if (-not (Enter-Call $PSCmdlet $Name $ComputerName)) {
        return
    }
    $z = Read-Zone $Name
    if ($null -eq $z) {
        Write-NotFound $PSCmdlet $Name $ComputerName
        return
    }
    if ($z['type'] -ne 'Secondary' -and $z['type'] -ne 'Stub') {
        Write-DnsError $PSCmdlet 9613 InvalidOperation ('Zone ' + $Name + ' on server ' + (Get-ServerName $ComputerName) + ' is not a secondary zone.') $Name
        return
    }
    if (-not $PSCmdlet.ShouldProcess($Name, 'Start-DnsServerZoneTransfer')) {
        return
    }
    if ((Get-Fault $Name) -ne 'never-transferred') {
        $serial = [uint64]0
        if ($z['serial'] -ne '') {
            $serial = [uint64]$z['serial']
        }
        $z['serial'] = [string](($serial + 1) % 4294967296)
        $null = Save-Zone $z
    }
    if ($PassThru) {
        ConvertTo-ZoneObject $z
    }
}

function Get-DnsServerResourceRecord {
    [CmdletBinding(DefaultParameterSetName = 'Get0')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [string]$ZoneName,
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = $true)]
        [string]$Name = '@',
        [string]$ComputerName,
        [switch]$Node,
        [string]$ZoneScope,
        [string]$VirtualizationInstance,
        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [string]$RRType,
        [Alias('Session')]
        [Microsoft.Management.Infrastructure.CimSession[]]$CimSession,
        [int]$ThrottleLimit,
        [switch]$AsJob
    )
    if (-not (Enter-Call $PSCmdlet $ZoneName $ComputerName)) {
        return
    }
    $z = Read-Zone $ZoneName
    if ($null -eq $z) {
        Write-NotFound $PSCmdlet $ZoneName $ComputerName
        return
    }
    if ($z['serial'] -eq '' -or ($Name -ne '@' -and $Name -ne $z['name'] -and $Name -ne $z['name'] + '.')) {
        Write-DnsError $PSCmdlet 9714 ObjectNotFound ('Failed to get ' + $Name + ' record in ' + $ZoneName + ' zone on ' + (Get-ServerName $ComputerName) + ' server.') $Name
        return
    }
    if ($RRType -and $RRType -ne 'Soa') {
        return
    }
    $data = New-Object PSObject -Property ([ordered]@{
            PrimaryServer     = 'ns.' + $z['name'] + '.'
            ResponsiblePerson = 'hostmaster.' + $z['name'] + '.'
            SerialNumber      = [uint32]$z['serial']
            RefreshInterval   = [TimeSpan]::FromMinutes(15)
            RetryDelay        = [TimeSpan]::FromMinutes(10)
            ExpireLimit       = [TimeSpan]::FromDays(1)
            MinimumTimeToLive = [TimeSpan]::FromHours(1)
        })
    $rr = New-Object PSObject -Property ([ordered]@{
            DistinguishedName = 'DC=@,DC=' + $z['name'] + ',cn=MicrosoftDNS,DC=DomainDnsZones'
            HostName          = '@'
            RecordClass       = 'IN'
            RecordType        = 'SOA'
            Timestamp         = $null
            TimeToLive        = [TimeSpan]::FromHours(1)
            Type              = 6
            RecordData        = $data
        })
    $rr.PSObject.TypeNames.Insert(0, 'Microsoft.Management.Infrastructure.CimInstance#root/Microsoft/Windows/DNS/DnsServerResourceRecord')
    return $rr
}

Export-ModuleMember -Function Get-DnsServerZone, Add-DnsServerSecondaryZone, Set-DnsServerSecondaryZone,
    Remove-DnsServerZone, Start-DnsServerZoneTransfer, Get-DnsServerResourceRecord
