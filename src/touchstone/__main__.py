from touchstone.cli import main

main()
