function Broken {
    if ($true) {
        Write-Output 'unclosed'
}
$h = @{ a = 1; b = (2 + }
