"""hexo."""
