package dev.sotto.conformance.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The site check catches every way a page, a style sheet or a drawing can make a browser fetch from
 * another origin, and lets through what loads nothing from elsewhere (links, relative and data: URLs,
 * text, comments).
 */
class SiteOriginsTest {
  private static String page(String head, String body) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n" + head + "\n</head>\n<body>\n"
        + body + "\n</body>\n</html>\n";
  }

  /** Each form, with what the finding must name. Every forbidden URL is on evil.example. */
  static Stream<Arguments> forbidden() {
    return Stream.of(
        Arguments.of("img src", "<img src=\"https://evil.example/a.png\" alt=\"\">", "<img src>"),
        Arguments.of("protocol-relative, unquoted", "<img src=//evil.example/a.png>", "<img src>"),
        Arguments.of("upper case, single quotes", "<IMG SRC='HTTPS://evil.example/a.png'>", "<img src>"),
        Arguments.of("srcset, second candidate", "<img src=\"a.png\" srcset=\"a.png 1x, https://evil.example/b.png 2x\">", "<img srcset>"),
        Arguments.of("picture source srcset", "<picture><source srcset=\"https://evil.example/c.webp\" type=\"image/webp\"></picture>", "<source srcset>"),
        Arguments.of("stylesheet link", "<link rel=\"stylesheet\" href=\"https://evil.example/s.css\">", "<link href>"),
        Arguments.of("icon link", "<link rel=\"icon\" href=\"https://evil.example/favicon.ico\">", "<link href>"),
        Arguments.of("preload link", "<link rel=\"preload\" as=\"font\" href=\"https://evil.example/f.woff2\" crossorigin>", "<link href>"),
        Arguments.of("preconnect link", "<link rel=\"preconnect\" href=\"https://evil.example\">", "<link href>"),
        Arguments.of("dns-prefetch link", "<link rel=\"dns-prefetch\" href=\"//evil.example\">", "<link href>"),
        Arguments.of("preload imagesrcset", "<link rel=\"preload\" as=\"image\" href=\"i.png\" imagesrcset=\"https://evil.example/i.png 1x\">", "<link imagesrcset>"),
        Arguments.of("style url()", "<style>\nbody { background: url(https://evil.example/bg.png) }\n</style>", "<style> url()"),
        Arguments.of("style @import string", "<style>@import \"https://evil.example/fonts.css\";</style>", "<style> @import"),
        Arguments.of("style @import url()", "<style>@import url('https://evil.example/fonts.css') screen;</style>", "<style> url()"),
        Arguments.of("@font-face src", "<style>@font-face{font-family:x;src:url(\"https://evil.example/f.woff2\") format(\"woff2\")}</style>", "<style> url()"),
        Arguments.of("image-set string", "<style>div{background-image:image-set(\"https://evil.example/a.png\" 1x)}</style>", "<style> image-set()"),
        Arguments.of("CSS escape in url", "<style>div{background:\\75 rl(https://evil.example/esc.png)}</style>", "<style> url()"),
        Arguments.of("CSS escape in the URL", "<style>div{background:url(\"\\68ttps://evil.example/esc2.png\")}</style>", "<style> url()"),
        Arguments.of("style attribute", "<div style=\"background: URL( 'https://evil.example/x.png' )\"></div>", "<div style> url()"),
        Arguments.of("SVG image href", "<svg><image href=\"https://evil.example/i.svg\" width=\"1\" height=\"1\"/></svg>", "<image href>"),
        Arguments.of("SVG use xlink:href", "<svg><use xlink:href=\"https://evil.example/sprite.svg#a\"/></svg>", "<use xlink:href>"),
        Arguments.of("SVG feImage", "<svg><filter id=\"f\"><feImage href=\"https://evil.example/f.png\"/></filter></svg>", "<feimage href>"),
        Arguments.of("SVG presentation attribute", "<svg><rect fill=\"url(https://evil.example/p.svg#g)\"/></svg>", "<rect fill> url()"),
        Arguments.of("script src", "<script src=\"https://evil.example/s.js\"></script>", "<script src>"),
        Arguments.of("iframe", "<iframe src=\"https://evil.example/\"></iframe>", "<iframe src>"),
        Arguments.of("iframe srcdoc", "<iframe srcdoc=\"&lt;img src=&quot;https://evil.example/in.png&quot;&gt;\"></iframe>", "<img src>"),
        Arguments.of("object data", "<object data=\"https://evil.example/o.svg\"></object>", "<object data>"),
        Arguments.of("embed", "<embed src=\"https://evil.example/e\">", "<embed src>"),
        Arguments.of("video poster", "<video poster=\"https://evil.example/p.jpg\"></video>", "<video poster>"),
        Arguments.of("audio", "<audio src=\"https://evil.example/a.mp3\"></audio>", "<audio src>"),
        Arguments.of("track", "<video><track src=\"https://evil.example/t.vtt\"></video>", "<track src>"),
        Arguments.of("input image", "<input type=\"image\" src=\"https://evil.example/btn.png\">", "<input src>"),
        Arguments.of("background attribute", "<table background=\"https://evil.example/bg.gif\"></table>", "<table background>"),
        Arguments.of("meta refresh", "<meta http-equiv=\"refresh\" content=\"0; url=https://evil.example/\">", "<meta http-equiv=refresh>"),
        Arguments.of("base", "<base href=\"https://evil.example/\">", "<base href>"),
        Arguments.of("a ping", "<a href=\"check.html\" ping=\"https://evil.example/track\">x</a>", "<a ping>"),
        Arguments.of("named character reference", "<img src=\"https&colon;//evil.example/entity.png\">", "<img src>"),
        Arguments.of("numeric character reference", "<img src=\"ht&#116;ps&#x3a;//evil.example/numeric.png\">", "<img src>"),
        Arguments.of("tab inside the scheme", "<img src=\" ht\ttps://evil.example/tab.png\">", "<img src>"),
        Arguments.of("backslashes", "<img src=\"\\\\evil.example/backslash.png\">", "<img src>"),
        Arguments.of("data: CSS that imports", "<link rel=\"stylesheet\" href=\"data:text/css,@import%20url(https://evil.example/d.css);\">", "url()"),
        Arguments.of("data: SVG that loads", "<object data=\"data:image/svg+xml;base64,"
            + java.util.Base64.getEncoder().encodeToString("<svg><image href='https://evil.example/b64.png'/></svg>".getBytes())
            + "\"></object>", "<image href>"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("forbidden")
  void eachFormOfLoadingFromElsewhereIsFound(String form, String markup, String what) {
    for (String html : List.of(page(markup, ""), page("", markup))) {
      List<SiteOrigins.Finding> findings = SiteOrigins.checkMarkup("page.html", html);
      assertEquals(1, findings.size(), form + ": " + findings);
      SiteOrigins.Finding finding = findings.get(0);
      assertTrue(finding.url().contains("evil.example"), form + ": " + finding);
      assertTrue(finding.what().contains(what), form + ": " + finding + " names " + what);
      assertTrue(finding.file().startsWith("page.html"), form + ": " + finding);
    }
  }

  @Test
  void scriptsAreFindingsWhateverTheyLoad() {
    assertEquals(1, SiteOrigins.checkMarkup("p.html", page("<script>fetch('x.json')</script>", "")).size());
    assertEquals(1, SiteOrigins.checkMarkup("p.html", page("<script src=\"local.js\"></script>", "")).size());
    assertEquals(1, SiteOrigins.checkMarkup("p.html", page("", "<img src=\"a.png\" onerror=\"this.src='b.png'\">")).size());
  }

  @Test
  void findingsNameTheirLine() {
    List<SiteOrigins.Finding> findings = SiteOrigins.checkMarkup("p.html",
        "<html>\n<head>\n<style>\nbody {\n  background: url(https://evil.example/bg.png);\n}\n</style>\n</head>\n<body>\n<img\n  src=\"https://evil.example/i.png\">\n</body></html>\n");
    assertEquals(2, findings.size(), findings.toString());
    assertEquals(5, findings.get(0).line());
    assertEquals(11, findings.get(1).line());
    assertEquals("p.html:11: <img src> https://evil.example/i.png", findings.get(1).toString());
  }

  @Test
  void whatLoadsNothingFromElsewhereIsNoFinding() {
    String html = page("""
        <meta name="generator" content="Asciidoctor 2.0.23">
        <link rel="stylesheet" href="css/site.css">
        <style>
        /* Uncomment the following line when using as a custom stylesheet */
        /* @import "https://fonts.googleapis.com/css?family=Open+Sans"; */
        body{font-family:"Open Sans","DejaVu Sans",sans-serif}
        .x{background:url(images/bg.png)}
        .y{background:url("data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg'/>")}
        .z::before{content:"https://evil.example/ is text"}
        </style>""", """
        <a href="https://www.rfc-editor.org/rfc/rfc7748">RFC 7748</a>
        <a href="#section-1">1</a> <a href="vectors/card.json">card.json</a>
        <img src="images/flow.svg" alt="see url(https://evil.example/)" srcset="images/a.png 1x, images/b.png 2x">
        <img src="data:image/png;base64,iVBORw0KGgo=" alt="">
        <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
          <a xlink:href="https://noiseprotocol.org/noise.html"><text>Noise</text></a>
          <use href="#icon"/><rect fill="url(#gradient)"/>
        </svg>
        <p>Text that names https://evil.example/ loads nothing.</p>
        <pre>&lt;img src="https://evil.example/x.png"&gt;</pre>
        <!-- <img src="https://evil.example/commented.png"> -->
        <textarea><img src="https://evil.example/in-textarea.png"></textarea>""");
    assertEquals(List.of(), SiteOrigins.checkMarkup("clean.html", html));
  }

  @Test
  void styleSheetsAndDrawingsAreCheckedToo() {
    assertEquals(1, SiteOrigins.checkCss("site.css", "/* ok */ @import 'https://evil.example/x.css';\nbody{}").size());
    assertEquals(List.of(), SiteOrigins.checkCss("site.css", "@import 'print.css' print; body{background:url(a.png)}"));
    String svg = """
        <?xml version="1.0" encoding="UTF-8" standalone="no"?>
        <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
        <defs><style type="text/css"><![CDATA[ .a { fill: url(https://evil.example/f.svg#x) } ]]></style></defs>
        <image xlink:href="https://evil.example/x.png" width="1" height="1"/>
        <a xlink:href="https://www.rfc-editor.org/"><text>link</text></a>
        </svg>""";
    List<SiteOrigins.Finding> findings = SiteOrigins.checkMarkup("images/d.svg", svg);
    assertEquals(2, findings.size(), findings.toString());
    assertEquals(3, findings.get(0).line());
    assertEquals(4, findings.get(1).line());
  }

  @Test
  void aSiteDirectoryIsCheckedFileByFile(@TempDir Path site) throws IOException {
    Files.createDirectories(site.resolve("images"));
    Files.writeString(site.resolve("index.html"), page("<link rel=\"stylesheet\" href=\"site.css\">", "<img src=\"images/d.svg\">"));
    Files.writeString(site.resolve("site.css"), "body{}");
    Files.writeString(site.resolve("images/d.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    Files.writeString(site.resolve("data.json"), "{\"url\": \"https://evil.example/\"}");
    assertEquals(List.of(), SiteOrigins.check(site));
    SiteOrigins.main(new String[] {site.toString()});

    Files.writeString(site.resolve("check.html"), page("<link rel=\"icon\" href=\"https://evil.example/i.ico\">", ""));
    Files.writeString(site.resolve("site.css"), "body{background:url(//evil.example/b.png)}");
    Files.writeString(site.resolve("images/d.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"><image href=\"http://evil.example/\"/></svg>");
    Files.writeString(site.resolve("app.js"), "");
    List<SiteOrigins.Finding> findings = SiteOrigins.check(site);
    assertEquals(List.of("app.js", "check.html", "images/d.svg", "site.css"),
        findings.stream().map(SiteOrigins.Finding::file).toList(), findings.toString());
    IllegalStateException failure = assertThrows(IllegalStateException.class, () -> SiteOrigins.main(new String[] {site.toString()}));
    assertTrue(failure.getMessage().startsWith("4 reference(s) to another origin"), failure.getMessage());
  }

  @Test
  void aSiteWithoutPagesFails(@TempDir Path empty) {
    IllegalStateException failure = assertThrows(IllegalStateException.class, () -> SiteOrigins.main(new String[] {empty.toString()}));
    assertTrue(failure.getMessage().startsWith("no HTML page in"), failure.getMessage());
  }
}
