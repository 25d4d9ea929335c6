from quayops.cli import main

main()
