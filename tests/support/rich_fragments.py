"""Answer fragments in the shapes of Zhihu's saved answers (../shared/reference/samples/
answer_content_*.html): formulas, a link card left unclosed, references, a video card. The texts
and ids are our own."""

# Equations as Zhihu's editor wrote them: the TeX in `alt`, URL-encoded in `src` (spaces as `+`),
# HTML-escaped (`&#39;`), with spaces around, `\\` at the end (display), `eeimg="2"`.
EQUATIONS = (
    '<p data-pid="a1">设常数 <img src="https://www.zhihu.com/equation?tex=e" alt="e" eeimg="1"/>'
    " 与方程 "
    '<img src="https://www.zhihu.com/equation?tex=y%5Cprime%2Bpy%2Bq%3D0" alt="y\\prime+py+q=0" '
    'eeimg="1"/> 的解.</p>'
    '<p data-pid="a2">在 <img src="https://www.zhihu.com/equation?tex=+%5Cmathbb%7BC%7D+" '
    'alt=" \\mathbb{C} " eeimg="1"/> 上展开: '
    '<img src="https://www.zhihu.com/equation?'
    'tex=y%27%28x%29%3D%5Csum_%7Bn%3D0%7D%5E%5Cinfty+a_nx%5E%7Bn-1%7D" '
    'alt="y&#39;(x)=\\sum_{n=0}^\\infty a_nx^{n-1}" eeimg="1"/></p>'
    '<p data-pid="a3"><img '
    'src="https://www.zhihu.com/equation?tex=a+%5Csin+E%3DE-M+%5Ctag%7B1%7D%5C%5C+" '
    'alt="a \\sin E=E-M \\tag{1}\\\\ " eeimg="1"/></p>'
    '<p data-pid="a4"><img src="https://www.zhihu.com/equation?tex=%5Cfrac%7Ba%3Cb%7D%7B2%7D" '
    'alt="\\frac{a&lt;b}{2}" eeimg="2"/></p>'
    '<p data-pid="a5">新版：<span class="ztext-math" data-eeimg="1" data-tex="x_1^2 + {{y}}">'
    "x_1^2 + {{y}}</span> 与 "
    '<span class="ztext-math" data-eeimg="2" data-tex="\\int_0^1 f\\,dx">\\int_0^1 f\\,dx</span>'
    "。</p>"
)
EXPECTED_TEX = [
    "\\(e\\)",
    "\\(y\\prime+py+q=0\\)",
    "\\( \\mathbb{C} \\)",
    "\\(y'(x)=\\sum_{n=0}^\\infty a_nx^{n-1}\\)",
    "\\[a \\sin E=E-M \\tag{1}\\\\ \\]",
    "\\[\\frac{a<b}{2}\\]",
    "\\(x_1^2 + {{y}}\\)",
    "\\[\\int_0^1 f\\,dx\\]",
]

UNCLOSED_CARD = (
    '<p data-pid="c1">参见</p>'
    '<a href="https://link.zhihu.com/?target=https%3A//example.org/post" data-draft-node="block" '
    'data-draft-type="link-card" data-image="https://pic2.zhimg.com/v2-0123456789abcdef_ipico.jpg" '
    'data-image-width="200" data-image-height="200">一篇文章的标题'
    '<p data-pid="c2">卡片后的第一段</p><p data-pid="c3">第二段 <b>加粗</b></p>后面'
)

REFERENCES = (
    '<p data-pid="r1">在参考了两位的论文'
    '<sup data-text="An exact solution of Kepler&#39;s Equation" '
    'data-url="https://link.springer.com/article/10.1007/BF0000001" data-draft-node="inline" '
    'data-draft-type="reference" data-numero="1">[1]</sup>后写下，另见 '
    '<sup data-text="方程的解析形式" '
    'data-url="https://link.zhihu.com/?target=https%3A//example.org/a%3Fb%3D1" '
    'data-draft-node="inline" data-draft-type="reference" data-numero="2">[2]</sup>。</p>'
    '<p data-pid="r2">再引一次<sup data-text="An exact solution of Kepler&#39;s Equation" '
    'data-url="https://link.springer.com/article/10.1007/BF0000001" data-draft-node="inline" '
    'data-draft-type="reference" data-numero="1">[1]</sup>，和一本书'
    '<sup data-text="某书，第3章" data-url="" data-draft-node="inline" '
    'data-draft-type="reference" data-numero="3">[3]</sup>'
    '<sup data-text="坏的" data-url="javascript:alert(1)" data-draft-node="inline" '
    'data-draft-type="reference" data-numero="4">[4]</sup></p>'
)

VIDEO = (
    '<p data-pid="v1">视频如下</p>'
    '<a class="video-box" '
    'href="https://link.zhihu.com/?target=https%3A//www.zhihu.com/video/1400000000000000001" '
    'target="_blank" data-video-id="" data-video-playable="true" data-name="实验演示" '
    'data-poster="https://pic3.zhimg.com/v2-fedcba9876543210fedcba9876543210.jpg" '
    'data-lens-id="1400000000000000001"><img class="thumbnail" '
    'src="https://pic3.zhimg.com/v2-fedcba9876543210fedcba9876543210.jpg"/><span class="content">'
    '<span class="title">实验演示<span class="z-ico-extern-gray"></span></span>'
    '<span class="url"><span class="z-ico-video"></span>'
    "https://www.zhihu.com/video/1400000000000000001</span></span></a>"
    '<p data-pid="v2">之后</p>'
)
