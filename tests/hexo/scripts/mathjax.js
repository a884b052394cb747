// MathJax from the site's own node_modules (npm, pinned by package-lock.json), served by the
// site at /mathjax/tex-svg.js and loaded by every post: posts archived with
// ARCHIVE_FORMULAS=tex hold \(...\) and \[...\], and nothing may come from off the site.
// tex-svg.js is self-contained (fonts as SVG paths), so it fetches nothing else.
'use strict';

const fs = require('fs');
const path = require('path');

const file = path.join(hexo.base_dir, 'node_modules', 'mathjax', 'es5', 'tex-svg.js');

hexo.extend.generator.register('mathjax', () => ({
  path: 'mathjax/tex-svg.js',
  data: () => fs.createReadStream(file),
}));

hexo.extend.injector.register('body_end', '<script id="MathJax-script" src="/mathjax/tex-svg.js"></script>', 'post');
