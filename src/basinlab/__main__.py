from basinlab.cli.app import main

main()
