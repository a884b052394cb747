"""What the tests share: the fixture server, test crawls, made images, videos and hostile text."""
