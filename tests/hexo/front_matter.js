// Read front matters the way Hexo's post processor does (hexo-front-matter over js-yaml), for
// the tests: a JSON array of post texts on stdin, the values Hexo gets for each on stdout.
'use strict';
const { parse } = require('hexo-front-matter');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const read = JSON.parse(input).map((text) => {
    try {
      const data = parse(text);
      return {
        title: data.title,
        categories: data.categories,
        author: data.author,
        headimg: data.headimg,
        thumbnail: data.thumbnail,
      };
    } catch (err) {
      return { error: String(err) };
    }
  });
  process.stdout.write(JSON.stringify(read));
});
