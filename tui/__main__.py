from tui.main import main

raise SystemExit(main())
