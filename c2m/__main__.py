from c2m.cli import main

main()
