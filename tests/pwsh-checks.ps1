<#
    Checks run inside real PowerShell (tests/pwsh-script.sh): the DnsServer stand-in's error records and
    objects have the shape scripts/msdns-zone.ps1 matches on (the script's own matching functions are
    taken from its parse tree and applied to them), and the script's parameter validation refuses hostile
    values before the DnsServer module is touched. Prints "not ok: ..." per failure; exits with the count.
#>
param([string]$Script = '')

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$script:Failures = 0

function Assert-That {
    param([bool]$Condition, [string]$What)
    if ($Condition) {
        [Console]::Out.WriteLine('ok: ' + $What)
    }
    else {
        [Console]::Out.WriteLine('not ok: ' + $What)
        $script:Failures++
    }
}

# The error record a stand-in call writes under -ErrorAction Stop, or $null when it throws nothing.
function Get-ErrorOf {
    param([scriptblock]$Call)
    try {
        $null = & $Call
    }
    catch {
        return $_
    }
    return $null
}

$state = $env:PSSIM_STATE
$zones = Join-Path $state 'zones'
$faults = Join-Path $state 'faults'
$null = New-Item -ItemType Directory -Force -Path $zones, $faults
[IO.File]::WriteAllText((Join-Path $zones 'primary.example'), "type=Primary`nmasters=`ndsintegrated=true`nserial=9`nzonefile=`n")
[IO.File]::WriteAllText((Join-Path $zones 'sec.example'), "type=Secondary`nmasters=192.0.2.1,2001:db8::1`ndsintegrated=false`nserial=3`nzonefile=sec.example.dns`n")
[IO.File]::WriteAllText((Join-Path $faults 'denied.example'), 'denied')
[IO.File]::WriteAllText((Join-Path $faults 'down.example'), 'unreachable')

# The script's own matching functions, from its parse tree (its top level is not run).
$ast = [System.Management.Automation.Language.Parser]::ParseFile($Script, [ref]$null, [ref]$null)
$want = @('Get-Win32Code', 'Get-ErrorExitCode')
$defs = $ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.FunctionDefinitionAst] -and $want -contains $a.Name }, $true)
Assert-That (@($defs).Count -eq 2) 'the script defines Get-Win32Code and Get-ErrorExitCode'
foreach ($d in $defs) {
    . ([scriptblock]::Create($d.Extent.Text))
}
$ExitFailed = 1
$ExitUnreachable = 5

Import-Module DnsServer
Assert-That ((Get-Module DnsServer).Path -like '*tests*DnsServer*') 'the stand-in is the DnsServer module found through PSModulePath'

# 9601: absent
$e = Get-ErrorOf { Get-DnsServerZone -Name 'absent.example' -ErrorAction Stop }
Assert-That ($null -ne $e) 'Get-DnsServerZone of an absent zone fails under -ErrorAction Stop'
Assert-That ($e.FullyQualifiedErrorId -ceq 'WIN32 9601,Get-DnsServerZone') ('FullyQualifiedErrorId is WIN32 9601,Get-DnsServerZone: ' + $e.FullyQualifiedErrorId)
Assert-That ($e.Exception -is [Microsoft.Management.Infrastructure.CimException]) 'the exception is a CimException'
Assert-That ($e.CategoryInfo.Category -eq 'ObjectNotFound') ('category ObjectNotFound: ' + $e.CategoryInfo.Category)
Assert-That ($e.Exception.Message -like 'The zone absent.example was not found on server *.') ('message: ' + $e.Exception.Message)
Assert-That ((Get-Win32Code $e) -eq 9601) 'the script reads 9601 from it'
$r = @(Get-DnsServerZone -Name 'absent.example' -ErrorAction SilentlyContinue)
Assert-That ($r.Count -eq 0) 'the error is non-terminating, as a CIM cmdlet''s: -ErrorAction SilentlyContinue hides it'
$ErrorActionPreference = 'Stop'
$e = Get-ErrorOf { Get-DnsServerZone -Name 'absent.example' }
Assert-That ($null -ne $e -and $e.FullyQualifiedErrorId -ceq 'WIN32 9601,Get-DnsServerZone') '$ErrorActionPreference = Stop makes it terminating too'
foreach ($c in @('Remove-DnsServerZone', 'Start-DnsServerZoneTransfer', 'Set-DnsServerSecondaryZone')) {
    $e = Get-ErrorOf { & $c -Name 'absent.example' -ErrorAction Stop }
    Assert-That ($null -ne $e -and $e.FullyQualifiedErrorId -ceq ('WIN32 9601,' + $c)) ($c + ' of an absent zone: WIN32 9601,' + $c)
}

# 9609: exists
$e = Get-ErrorOf { Add-DnsServerSecondaryZone -Name 'sec.example' -ZoneFile 'sec.example.dns' -MasterServers 192.0.2.1 -ErrorAction Stop }
Assert-That ($null -ne $e -and $e.FullyQualifiedErrorId -ceq 'WIN32 9609,Add-DnsServerSecondaryZone') 'Add of an existing zone: WIN32 9609,Add-DnsServerSecondaryZone'
Assert-That ($null -ne $e -and $e.CategoryInfo.Category -eq 'ResourceExists') 'category ResourceExists'
Assert-That ((Get-Win32Code $e) -eq 9609) 'the script reads 9609 from it'

# 5 and 1722: the script's "unreachable or denied"
$e = Get-ErrorOf { Get-DnsServerZone -Name 'denied.example' -ErrorAction Stop }
Assert-That ($null -ne $e -and $e.FullyQualifiedErrorId -ceq 'WIN32 5,Get-DnsServerZone' -and $e.CategoryInfo.Category -eq 'PermissionDenied') 'access denied: WIN32 5, PermissionDenied'
Assert-That ((Get-ErrorExitCode $e) -eq 5) 'the script maps WIN32 5 to exit 5'
$e = Get-ErrorOf { Get-DnsServerZone -Name 'down.example' -ErrorAction Stop }
Assert-That ($null -ne $e -and $e.FullyQualifiedErrorId -ceq 'WIN32 1722,Get-DnsServerZone') 'server down: WIN32 1722'
Assert-That ((Get-ErrorExitCode $e) -eq 5) 'the script maps WIN32 1722 to exit 5'
$e = Get-ErrorOf { Add-DnsServerSecondaryZone -Name 'sec.example' -ZoneFile 'x.dns' -MasterServers 192.0.2.1 -ErrorAction Stop }
Assert-That ((Get-ErrorExitCode $e) -eq 1) 'the script maps other codes to exit 1'

# Objects
$z = Get-DnsServerZone -Name 'sec.example'
foreach ($p in @('ZoneName', 'ZoneType', 'IsDsIntegrated', 'IsAutoCreated', 'IsReverseLookupZone', 'ZoneFile', 'MasterServers')) {
    Assert-That ($null -ne $z.PSObject.Properties[$p]) ('a secondary zone has ' + $p)
}
Assert-That ($z.MasterServers -is [System.Net.IPAddress[]]) 'MasterServers is IPAddress[]'
Assert-That ((@($z.MasterServers | ForEach-Object { $_.IPAddressToString }) -join ',') -eq '192.0.2.1,2001:db8::1') 'MasterServers carry IPv4 and IPv6'
Assert-That ($z.ZoneType -ceq 'Secondary' -and $z.IsDsIntegrated -eq $false -and $z.ZoneFile -eq 'sec.example.dns') 'a file-backed secondary'
$p = Get-DnsServerZone -Name 'primary.example'
Assert-That ($null -eq $p.PSObject.Properties['MasterServers']) 'a primary zone has no MasterServers property'
Assert-That ($p.IsDsIntegrated -eq $true -and $p.ZoneType -ceq 'Primary') 'an AD-integrated primary'
$soa = Get-DnsServerResourceRecord -ZoneName 'sec.example' -Name '@' -RRType Soa
Assert-That ($soa.RecordData.SerialNumber -eq 3) 'the SOA serial is RecordData.SerialNumber'

# Parameters as Windows PowerShell 5.1's module declares them
$cmd = Get-Command Add-DnsServerSecondaryZone
Assert-That ($cmd.Parameters['MasterServers'].ParameterType -eq [System.Net.IPAddress[]]) 'Add-DnsServerSecondaryZone -MasterServers is IPAddress[]'
Assert-That ((@($cmd.ParameterSets | ForEach-Object { $_.Name }) | Sort-Object) -join ',' -eq 'ForwardLookupZone,ReverseLookupZone') 'Add-DnsServerSecondaryZone has the ForwardLookupZone and ReverseLookupZone sets'
$e = Get-ErrorOf { Add-DnsServerSecondaryZone -Name 'x.example' -ZoneFile 'x.dns' -MasterServers 'not-an-ip' -ErrorAction Stop }
Assert-That ($null -ne $e -and $e.FullyQualifiedErrorId -like 'ParameterArgumentTransformationError*') 'a master that is not an IP address is refused at binding'
$e = Get-ErrorOf { Remove-DnsServerZone -Name 'sec.example' -ErrorAction Stop }
Assert-That ($null -ne $e -and (Test-Path -LiteralPath (Join-Path $zones 'sec.example'))) 'Remove-DnsServerZone without -Force prompts: an error under -NonInteractive, the zone stays'

# The script's validation, in this process (the same binding as a command line): exit 4, the module untouched.
Remove-Module DnsServer
$calls = Join-Path $state 'calls.log'
$before = 0
if (Test-Path -LiteralPath $calls) {
    $before = @(Get-Content -LiteralPath $calls).Count
}
$bad = @(
    @{ Operation = 'Get'; Zone = 'a;b.example' },
    @{ Operation = 'Get'; Zone = 'a b.example' },
    @{ Operation = 'Get'; Zone = '$(x).example' },
    @{ Operation = 'Get'; Zone = "a'b.example" },
    @{ Operation = 'Get'; Zone = ('a' + [char]0x2019 + 'b.example') },
    @{ Operation = 'Get'; Zone = "a.example`n" },
    @{ Operation = 'Get'; Zone = 'example.com.' },
    @{ Operation = 'Get'; Zone = '.example' },
    @{ Operation = 'Get'; Zone = ('a' * 64) + '.example' },
    @{ Operation = 'Get'; Zone = ((('a' * 63) + '.') * 4).TrimEnd('.') },
    @{ Operation = 'Get'; Zone = ('x' + [char]0x0661 + '.example') },
    @{ Operation = 'Get'; Zone = '' },
    @{ Operation = 'get'; Zone = 'a.example' },
    @{ Operation = 'Get;Remove'; Zone = 'a.example' },
    @{ Operation = 'List'; Zone = 'a.example' },
    @{ Operation = 'Create'; Zone = 'a.example' },
    @{ Operation = 'Create'; Zone = 'a.example'; Masters = '1' },
    @{ Operation = 'Create'; Zone = 'a.example'; Masters = '192.0.2.1;x' },
    @{ Operation = 'Create'; Zone = 'a.example'; Masters = '192.0.2.1,' },
    @{ Operation = 'Create'; Zone = 'a.example'; Masters = '192.0.2.1 ' },
    @{ Operation = 'Create'; Zone = 'a.example'; Masters = 'fe80::1%eth0' },
    @{ Operation = 'Create'; Zone = 'a.example'; Masters = '999.0.0.1' },
    @{ Operation = 'Create'; Zone = 'a.example'; Masters = "192.0.2.1`n" },
    @{ Operation = 'Delete'; Zone = 'a.example'; Masters = 'localhost' }
)
foreach ($b in $bad) {
    $shown = ($b.GetEnumerator() | Sort-Object Key | ForEach-Object { $_.Key + '=' + ($_.Value -replace "`n", '\n') }) -join ' '
    $global:LASTEXITCODE = -1
    & $Script @b 2>$null
    Assert-That ($LASTEXITCODE -eq 4) ('exit 4 for ' + $shown + ' (got ' + $LASTEXITCODE + ')')
}
& $Script -Serve -Operation Get 2>$null
Assert-That ($LASTEXITCODE -eq 4) '-Serve with another parameter: exit 4'
$after = 0
if (Test-Path -LiteralPath $calls) {
    $after = @(Get-Content -LiteralPath $calls).Count
}
Assert-That ($after -eq $before -and -not (Get-Module DnsServer)) 'no DnsServer cmdlet was called for any of them'

exit $script:Failures
