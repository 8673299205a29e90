@{
    # Test stand-in for Windows Server's DnsServer module (tests only): see DnsServer.psm1.
    RootModule        = 'DnsServer.psm1'
    ModuleVersion     = '2.0.0.0'
    GUID              = '4b7f5c1e-8d2a-4f0e-9c61-6f2d3a1b9e07'
    Author            = 'msdns-agent tests'
    Description       = 'Stand-in for the DnsServer module: zones in a state directory, injectable faults.'
    PowerShellVersion = '5.1'
    FunctionsToExport = @(
        'Get-DnsServerZone',
        'Add-DnsServerSecondaryZone',
        'Set-DnsServerSecondaryZone',
        'Remove-DnsServerZone',
        'Start-DnsServerZoneTransfer',
        'Get-DnsServerResourceRecord'
    )
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
