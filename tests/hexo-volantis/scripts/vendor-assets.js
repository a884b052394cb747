/* global hexo */
// Serve third-party front-end assets straight out of node_modules under /lib/,
// so the built site never needs a CDN. Paths here must match `cdn_system.system_config.custom`
// in _config.volantis.yml.
'use strict';
const fs = require('fs');
const path = require('path');

const nm = path.join(hexo.base_dir, 'node_modules');
// [url prefix under /lib/, directory inside node_modules, files (relative) or null = whole dir]
const entries = [
  ['lib/fontawesome/css', '@fortawesome/fontawesome-free/css', ['all.min.css']],
  ['lib/fontawesome/webfonts', '@fortawesome/fontawesome-free/webfonts', null],
  ['lib/pjax', 'pjax', ['pjax.min.js']],
  ['lib/vanilla-lazyload', 'vanilla-lazyload/dist', ['lazyload.min.js']],
  ['lib/fancybox', '@fancyapps/ui/dist/fancybox', ['fancybox.css', 'fancybox.umd.js']],
  ['lib/jquery', 'jquery/dist', ['jquery.min.js']],
  ['lib/izitoast', 'izitoast/dist', ['css/iziToast.min.css', 'js/iziToast.min.js']],
];

hexo.extend.generator.register('vendor_assets', () => {
  const routes = [];
  for (const [urlDir, srcDir, files] of entries) {
    const abs = path.join(nm, srcDir);
    const list = files || fs.readdirSync(abs).filter(f => fs.statSync(path.join(abs, f)).isFile());
    for (const f of list) {
      const src = path.join(abs, f);
      routes.push({ path: `${urlDir}/${f}`, data: () => fs.createReadStream(src) });
    }
  }
  return routes;
});
