// Load the site with Hexo itself and print what it made of each post, as JSON, for the tests:
// title, date (the instant Hexo read), the category path as a hierarchy, the rendered content,
// the `vanished` key of a post `recheck` found gone.
'use strict';
const Hexo = require('hexo');

(async () => {
  const hexo = new Hexo(process.cwd(), { silent: true });
  await hexo.init();
  await hexo.load();
  const Category = hexo.model('Category');
  const posts = hexo.locals.get('posts').map((post) => ({
    source: post.source,
    slug: post.slug,
    path: post.path,
    title: post.title,
    date: post.date.toISOString(),
    categories: post.categories.map((c) => ({
      name: c.name,
      parent: c.parent ? Category.findById(c.parent).name : null,
    })),
    author: post.author,
    headimg: post.headimg,
    thumbnail: post.thumbnail,
    content: post.content,
    vanished: post.vanished,
  }));
  process.stdout.write(JSON.stringify(posts));
  await hexo.exit();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
