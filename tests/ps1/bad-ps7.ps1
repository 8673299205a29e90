param(
    [string]$Zone = ''
)
$a = $Zone ? 'x' : 'y'
$b = $null ?? 'z'
Get-Item . && Write-Output ok
try {
    Write-Output 1
}
$c = $x?.Name
Write-Output ‘curly’
