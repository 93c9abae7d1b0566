from nhi_cli.cli.app import main

main()
