from __future__ import annotations

from connector.catalog.description import listing_description, reduce_html


def test_keeps_paragraphs_lists_and_breaks_and_strips_other_tags() -> None:
    html = '<h2>Care</h2><div class="x">Wash <b>cold</b>,<br/>dry flat</div><ul><li>Soft</li><li>Warm</ul>'
    assert reduce_html(html).html == "<p>Care</p><p>Wash cold,<br>dry flat</p><ul><li>Soft</li><li>Warm</li></ul>"


def test_ordered_and_nested_lists_are_flattened() -> None:
    html = "<ol><li>one<ul><li>inner</li></ul></li><li>two</li></ol>"
    assert reduce_html(html).html == "<ol><li>one</li><li>inner</li><li>two</li></ol>"


def test_scripts_styles_and_their_content_go() -> None:
    html = "<style>p{color:red}</style><p>Hi</p><script>alert('x')</script><noscript>no</noscript>"
    assert reduce_html(html).html == "<p>Hi</p>"


def test_table_becomes_one_line_per_row() -> None:
    html = (
        "<p>Sizes:</p><table><tr><th>Size</th><th>Chest (cm)</th></tr>"
        "<tr><td>S</td><td>92</td></tr><tr><td>M</td><td>100</td></tr></table><p>End</p>"
    )
    assert reduce_html(html).html == "<p>Sizes:</p><p>Size | Chest (cm)</p><p>S | 92</p><p>M | 100</p><p>End</p>"


def test_text_is_escaped_and_entities_decoded_once() -> None:
    assert reduce_html("Fish &amp; chips <3 &lt;b&gt;").html == "<p>Fish &amp; chips &lt;3 &lt;b&gt;</p>"


def test_images_are_placeholders_listed_for_rehosting() -> None:
    html = '<p>Look <img src="https://s.example/a.jpg" alt="x"> and <img src="//s.example/b.png"></p><img src="x.gif">'
    reduced = reduce_html(html)
    assert reduced.image_urls == ("https://s.example/a.jpg", "https://s.example/b.png")
    assert reduced.html == '<p>Look <img src="https://s.example/a.jpg"> and <img src="https://s.example/b.png"></p>'


def test_image_src_swaps_hosted_urls_and_drops_the_rest() -> None:
    html = '<p><img src="https://s.example/a.jpg"><img src="https://s.example/b.jpg">text</p>'
    reduced = reduce_html(html, {"https://s.example/a.jpg": "https://tiktok.example/a"}.get)
    assert reduced.html == '<p><img src="https://tiktok.example/a">text</p>'


def test_at_most_thirty_images() -> None:
    html = "".join(f'<img src="https://s.example/{n}.jpg">' for n in range(40))
    assert reduce_html(html).html.count("<img") == 30


def test_empty_description_falls_back_to_the_title() -> None:
    assert listing_description("<script>x</script>  ", "Mug & saucer").html == "<p>Mug &amp; saucer</p>"
    assert listing_description("<p>Own</p>", "Title").html == "<p>Own</p>"


def test_unclosed_and_stray_tags_do_not_break_it() -> None:
    assert (
        reduce_html("<p>a<ul><li>b</p></td></ul>c<table><tr><td>d").html
        == "<p>a</p><ul><li>b</li></ul><p>c</p><p>d</p>"
    )
