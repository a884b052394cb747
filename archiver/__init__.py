"""Archive Zhihu answers, articles and feeds into Hexo posts."""
