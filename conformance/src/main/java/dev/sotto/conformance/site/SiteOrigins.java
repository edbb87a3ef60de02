package dev.sotto.conformance.site;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Checks that the docs site loads nothing from another origin: no page, style sheet or SVG drawing
 * of it makes a browser fetch anything but the site's own files (a privacy project's documentation
 * tells nobody who reads it, and works offline). Links that a reader follows are fine.
 *
 * <p>What counts as loading: {@code src}, {@code srcset}, {@code imagesrcset}, {@code poster},
 * {@code background} and {@code data} (of {@code <object>}) on any element; {@code href} and
 * {@code xlink:href} on any element but {@code <a>} and {@code <area>} (every {@code <link>}, whatever
 * its {@code rel}: stylesheet, icon, preload, preconnect, dns-prefetch; {@code <base>}; SVG's
 * {@code <image>}, {@code <use>}, {@code <feImage>}); {@code ping}; a refresh {@code <meta>}'s URL;
 * in CSS ({@code <style>} elements, {@code style} attributes, SVG presentation attributes and the
 * site's .css files) every {@code url()}, {@code @import} and {@code image-set()} string; the HTML in
 * an {@code srcdoc} and in {@code data:} URLs of HTML, SVG or CSS. A URL is local when it is relative
 * or a {@code data:} URL; anything with another scheme or starting with {@code //} is not. The site
 * has no scripts, and what a script loads cannot be read off its text, so a script (an element, an
 * event-handler attribute or a .js file) is a finding too.
 *
 * <p>The markup is read by a small tokenizer in the manner of HTML's (comments, raw-text
 * {@code <script>} and {@code <style>}, quoted and unquoted attributes, character references
 * decoded, the tabs and newlines that URL parsing drops dropped, a backslash read as a slash), which
 * also reads SVG files.
 */
public final class SiteOrigins {
  /** A reference to another origin: the file, its line, what refers (element and attribute, or the CSS form), and the URL. */
  public record Finding(String file, int line, String what, String url) {
    @Override
    public String toString() {
      return file + ":" + line + ": " + what + " " + url;
    }
  }

  private static final Pattern SCHEME = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*):");
  private static final Pattern REFRESH = Pattern.compile("(?is)^\\s*[0-9.]*\\s*[;,]?\\s*(?:url\\s*=\\s*)?(['\"]?)(.*?)\\1\\s*$");
  private static final Set<String> LOADING = Set.of("src", "poster", "background", "lowsrc", "dynsrc", "data",
      "codebase", "manifest");
  private static final Set<String> LINKING_ELEMENTS = Set.of("a", "area");
  private static final Set<String> TEXT_ATTRIBUTES = Set.of("alt", "title", "content", "aria-label", "label",
      "placeholder", "value");
  private static final Map<String, String> ENTITIES = Map.ofEntries(Map.entry("amp", "&"), Map.entry("lt", "<"),
      Map.entry("gt", ">"), Map.entry("quot", "\""), Map.entry("apos", "'"), Map.entry("colon", ":"),
      Map.entry("sol", "/"), Map.entry("bsol", "\\"), Map.entry("period", "."), Map.entry("comma", ","),
      Map.entry("lpar", "("), Map.entry("rpar", ")"), Map.entry("Tab", "\t"), Map.entry("NewLine", "\n"),
      Map.entry("nbsp", "\u00a0"), Map.entry("num", "#"), Map.entry("percnt", "%"), Map.entry("commat", "@"),
      Map.entry("equals", "="), Map.entry("quest", "?"));

  private SiteOrigins() {}

  /**
   * For the build (exec:java runs in Maven's JVM, so it throws rather than exits): SITE_DIR. Fails
   * when the directory holds no HTML page, or when anything in it refers to another origin.
   */
  public static void main(String[] args) throws IOException {
    Path site = Path.of(args[0]);
    List<Path> files = files(site);
    long pages = files.stream().filter(f -> kind(f).equals("markup") && !f.toString().endsWith(".svg")).count();
    if (pages == 0) {
      throw new IllegalStateException("no HTML page in " + site.toAbsolutePath() + ": is the site built?");
    }
    List<Finding> findings = check(site);
    if (!findings.isEmpty()) {
      throw new IllegalStateException(findings.size() + " reference(s) to another origin in the site "
          + site.toAbsolutePath() + ":\n  " + findings.stream().map(Finding::toString).collect(Collectors.joining("\n  ")));
    }
    System.out.println("site: " + files.size() + " files (" + pages + " pages) checked; nothing is loaded from another origin");
  }

  /** Every finding in the HTML, SVG, CSS and script files under {@code site}, file by file. */
  public static List<Finding> check(Path site) throws IOException {
    List<Finding> findings = new ArrayList<>();
    for (Path file : files(site)) {
      String name = site.relativize(file).toString();
      switch (kind(file)) {
        case "markup" -> findings.addAll(checkMarkup(name, Files.readString(file, StandardCharsets.UTF_8)));
        case "css" -> findings.addAll(checkCss(name, Files.readString(file, StandardCharsets.UTF_8)));
        case "script" -> findings.add(new Finding(name, 1, "a script file", "(what it loads cannot be checked)"));
        default -> { }
      }
    }
    return findings;
  }

  private static List<Path> files(Path site) throws IOException {
    try (Stream<Path> all = Files.walk(site)) {
      return all.filter(Files::isRegularFile).sorted().toList();
    }
  }

  private static String kind(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".html") || name.endsWith(".htm") || name.endsWith(".xhtml") || name.endsWith(".svg")) {
      return "markup";
    } else if (name.endsWith(".css")) {
      return "css";
    } else if (name.endsWith(".js") || name.endsWith(".mjs")) {
      return "script";
    }
    return "other";
  }

  /** The findings in a style sheet. */
  public static List<Finding> checkCss(String file, String css) {
    List<Finding> findings = new ArrayList<>();
    Lines lines = new Lines(css);
    for (CssReferences.Reference reference : CssReferences.in(css)) {
      url(findings, file, lines.at(reference.offset()), reference.how(), reference.url());
    }
    return findings;
  }

  /** The findings in an HTML page or an SVG drawing. */
  public static List<Finding> checkMarkup(String file, String text) {
    List<Finding> findings = new ArrayList<>();
    new Markup(file, text, findings).run();
    return findings;
  }

  /** Whether a URL, as a browser reads it, is fetched from anywhere but the site itself. */
  static boolean elsewhere(String url) {
    String u = normalize(url);
    if (u.startsWith("//")) {
      return true;
    }
    Matcher scheme = SCHEME.matcher(u);
    return scheme.find() && !scheme.group(1).equalsIgnoreCase("data");
  }

  /** As URL parsing does: leading and trailing spaces and controls cut, tabs and newlines dropped, a backslash a slash. */
  private static String normalize(String url) {
    int start = 0;
    int end = url.length();
    while (start < end && url.charAt(start) <= ' ') {
      start++;
    }
    while (end > start && url.charAt(end - 1) <= ' ') {
      end--;
    }
    return url.substring(start, end).replaceAll("[\t\n\r]", "").replace('\\', '/');
  }

  /** Records {@code url} if it loads from elsewhere; a local data: URL is read in turn if it holds markup or CSS. */
  private static void url(List<Finding> findings, String file, int line, String what, String url) {
    if (elsewhere(url)) {
      findings.add(new Finding(file, line, what, url.strip()));
      return;
    }
    String u = normalize(url);
    if (u.regionMatches(true, 0, "data:", 0, 5)) {
      int comma = u.indexOf(',');
      if (comma < 0) {
        return;
      }
      String type = u.substring(5, comma).toLowerCase(Locale.ROOT);
      String body;
      try {
        body = type.endsWith(";base64")
            ? new String(Base64.getMimeDecoder().decode(u.substring(comma + 1)), StandardCharsets.UTF_8)
            : URLDecoder.decode(u.substring(comma + 1).replace("+", "%2B"), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return;
      }
      String inside = file + " (line " + line + ", " + what + " data: URL)";
      if (type.startsWith("text/css")) {
        findings.addAll(checkCss(inside, body));
      } else if (type.startsWith("text/html") || type.startsWith("image/svg+xml") || type.startsWith("application/xhtml")) {
        findings.addAll(checkMarkup(inside, body));
      }
    }
  }

  /** Decodes character references (numeric, and the named ones a URL or CSS could hide behind). */
  static String decode(String value) {
    if (value.indexOf('&') < 0) {
      return value;
    }
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < value.length()) {
      char c = value.charAt(i);
      int semicolon = c == '&' ? value.indexOf(';', i) : -1;
      if (semicolon > i + 1 && semicolon - i <= 32) {
        String name = value.substring(i + 1, semicolon);
        String replacement = null;
        try {
          if (name.startsWith("#x") || name.startsWith("#X")) {
            replacement = new String(Character.toChars(Integer.parseInt(name.substring(2), 16)));
          } else if (name.startsWith("#")) {
            replacement = new String(Character.toChars(Integer.parseInt(name.substring(1))));
          } else {
            replacement = ENTITIES.get(name);
          }
        } catch (IllegalArgumentException e) {
          replacement = null;
        }
        if (replacement != null) {
          out.append(replacement);
          i = semicolon + 1;
          continue;
        }
      }
      out.append(c);
      i++;
    }
    return out.toString();
  }

  /** Line numbers of offsets into a text. */
  private static final class Lines {
    private final int[] starts;

    Lines(String text) {
      List<Integer> list = new ArrayList<>();
      list.add(0);
      for (int i = 0; i < text.length(); i++) {
        if (text.charAt(i) == '\n') {
          list.add(i + 1);
        }
      }
      starts = list.stream().mapToInt(Integer::intValue).toArray();
    }

    int at(int offset) {
      int found = Arrays.binarySearch(starts, offset);
      return found >= 0 ? found + 1 : -found - 1;
    }
  }

  /** One pass over a page's tags. */
  private static final class Markup {
    private final String file;
    private final String text;
    private final List<Finding> findings;
    private final Lines lines;
    private int i;

    Markup(String file, String text, List<Finding> findings) {
      this.file = file;
      this.text = text;
      this.findings = findings;
      this.lines = new Lines(text);
    }

    void run() {
      int n = text.length();
      while (i < n) {
        int lt = text.indexOf('<', i);
        if (lt < 0) {
          return;
        }
        i = lt;
        if (text.startsWith("<!--", i)) {
          skipPast("-->", i + 4);
        } else if (text.startsWith("<![CDATA[", i)) {
          skipPast("]]>", i + 9);
        } else if (text.startsWith("<!", i) || text.startsWith("<?", i) || text.startsWith("</", i)) {
          skipPast(">", i + 2);
        } else if (i + 1 < n && Character.isLetter(text.charAt(i + 1))) {
          startTag();
        } else {
          i++;
        }
      }
    }

    private void skipPast(String end, int from) {
      int at = text.indexOf(end, from);
      i = at < 0 ? text.length() : at + end.length();
    }

    private record Attribute(String name, String value, int line) {}

    private void startTag() {
      int line = lines.at(i);
      int j = i + 1;
      int n = text.length();
      while (j < n && !space(text.charAt(j)) && text.charAt(j) != '/' && text.charAt(j) != '>') {
        j++;
      }
      String element = text.substring(i + 1, j).toLowerCase(Locale.ROOT);
      List<Attribute> attributes = new ArrayList<>();
      while (j < n) {
        char c = text.charAt(j);
        if (space(c) || c == '/') {
          j++;
          continue;
        }
        if (c == '>') {
          j++;
          break;
        }
        int nameStart = j;
        j++;
        while (j < n && !space(text.charAt(j)) && "/>=".indexOf(text.charAt(j)) < 0) {
          j++;
        }
        String name = text.substring(nameStart, j).toLowerCase(Locale.ROOT);
        int k = j;
        while (k < n && space(text.charAt(k))) {
          k++;
        }
        String value = "";
        if (k < n && text.charAt(k) == '=') {
          k++;
          while (k < n && space(text.charAt(k))) {
            k++;
          }
          if (k < n && (text.charAt(k) == '"' || text.charAt(k) == '\'')) {
            int close = text.indexOf(text.charAt(k), k + 1);
            close = close < 0 ? n : close;
            value = text.substring(k + 1, close);
            j = Math.min(n, close + 1);
          } else {
            int start = k;
            while (k < n && !space(text.charAt(k)) && text.charAt(k) != '>') {
              k++;
            }
            value = text.substring(start, k);
            j = k;
          }
        }
        attributes.add(new Attribute(name, decode(value), lines.at(nameStart)));
      }
      i = j;
      element(element, attributes);
      if (element.equals("script") || element.equals("style") || element.equals("textarea") || element.equals("title")) {
        rawText(element, line);
      }
    }

    private static boolean space(char c) {
      return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
    }

    /** The text of an element whose content is not markup, up to its end tag. */
    private void rawText(String element, int line) {
      Matcher end = Pattern.compile("</" + element + "[\\s/>]", Pattern.CASE_INSENSITIVE).matcher(text);
      int close = end.find(i) ? end.start() : text.length();
      String content = text.substring(i, close);
      if (element.equals("style")) {
        String css = content.replace("<![CDATA[", "         ").replace("]]>", "   ");
        int first = lines.at(i);
        Lines inner = new Lines(css);
        for (CssReferences.Reference reference : CssReferences.in(css)) {
          url(findings, file, first + inner.at(reference.offset()) - 1, "<style> " + reference.how(), reference.url());
        }
      } else if (element.equals("script") && !content.isBlank()) {
        findings.add(new Finding(file, line, "an inline <script>", "(what it loads cannot be checked)"));
      }
      i = close;
    }

    private void element(String element, List<Attribute> attributes) {
      String httpEquiv = "";
      for (Attribute a : attributes) {
        if (a.name().equals("http-equiv")) {
          httpEquiv = a.value().strip().toLowerCase(Locale.ROOT);
        }
      }
      for (Attribute a : attributes) {
        String what = "<" + element + " " + a.name() + ">";
        String name = a.name();
        if (element.equals("script") && name.equals("src") && !elsewhere(a.value())) {
          findings.add(new Finding(file, a.line(), "a local " + what, "(what a script loads cannot be checked)"));
        } else if (LOADING.contains(name)) {
          url(findings, file, a.line(), what, a.value());
        } else if (name.equals("srcset") || name.equals("imagesrcset")) {
          for (String candidate : srcset(a.value())) {
            url(findings, file, a.line(), what, candidate);
          }
        } else if (name.equals("href") || name.equals("xlink:href")) {
          if (!LINKING_ELEMENTS.contains(element)) {
            url(findings, file, a.line(), what, a.value());
          }
        } else if (name.equals("ping")) {
          for (String each : a.value().strip().split("\\s+")) {
            url(findings, file, a.line(), what, each);
          }
        } else if (name.equals("srcdoc")) {
          List<Finding> inner = checkMarkup(file + " (line " + a.line() + ", srcdoc)", a.value());
          findings.addAll(inner);
        } else if (name.startsWith("on") && name.length() > 2) {
          findings.add(new Finding(file, a.line(), "an event handler " + what, "(a script: what it loads cannot be checked)"));
        } else if (name.equals("content") && element.equals("meta") && httpEquiv.equals("refresh")) {
          Matcher refresh = REFRESH.matcher(a.value());
          if (refresh.matches()) {
            url(findings, file, a.line(), "<meta http-equiv=refresh>", refresh.group(2));
          }
        } else if (name.equals("style") || (!TEXT_ATTRIBUTES.contains(name) && a.value().toLowerCase(Locale.ROOT).contains("url("))) {
          for (CssReferences.Reference reference : CssReferences.in(a.value())) {
            url(findings, file, a.line(), what + " " + reference.how(), reference.url());
          }
        }
      }
    }
  }

  /** The URLs of a srcset: candidates separated by commas, each a URL and its descriptors. */
  static List<String> srcset(String value) {
    List<String> urls = new ArrayList<>();
    int i = 0;
    int n = value.length();
    while (i < n) {
      while (i < n && (Character.isWhitespace(value.charAt(i)) || value.charAt(i) == ',')) {
        i++;
      }
      if (i >= n) {
        break;
      }
      int start = i;
      while (i < n && !Character.isWhitespace(value.charAt(i))) {
        i++;
      }
      String url = value.substring(start, i);
      if (url.endsWith(",")) {
        urls.add(url.replaceAll(",+$", ""));
        continue;
      }
      urls.add(url);
      int depth = 0;
      while (i < n) {
        char c = value.charAt(i++);
        if (c == '(') {
          depth++;
        } else if (c == ')') {
          depth--;
        } else if (c == ',' && depth <= 0) {
          break;
        }
      }
    }
    return urls;
  }
}
