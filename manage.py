#!/usr/bin/env python
from stillhere.cli import main

if __name__ == "__main__":
    main()
