from fourk.cli import main

main()
