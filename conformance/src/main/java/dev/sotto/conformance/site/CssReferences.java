package dev.sotto.conformance.site;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The URLs a piece of CSS makes a browser fetch: {@code url(...)} (quoted or not), {@code @import}
 * with a string, and the bare strings of {@code image-set()} and {@code cross-fade()}. A small
 * tokenizer after CSS Syntax Level 3: comments are skipped (a commented-out {@code @import} loads
 * nothing), and escapes in names and strings are decoded (so {@code \75 rl(} is {@code url(}).
 */
final class CssReferences {
  /** One URL and where it starts in the CSS text. */
  record Reference(int offset, String how, String url) {}

  private static final Set<String> IMAGE_FUNCTIONS = Set.of("image-set", "-webkit-image-set", "cross-fade",
      "-webkit-cross-fade");

  private final String css;
  private int i;
  private final List<Reference> found = new ArrayList<>();

  private CssReferences(String css) {
    this.css = css;
  }

  /** Every URL that {@code css} (a style sheet, a style element's text or a style attribute) would load. */
  static List<Reference> in(String css) {
    CssReferences scan = new CssReferences(css);
    scan.run();
    return scan.found;
  }

  private void run() {
    Deque<String> functions = new ArrayDeque<>();
    boolean afterImport = false;
    int n = css.length();
    while (i < n) {
      char c = css.charAt(i);
      if (css.startsWith("/*", i)) {
        int end = css.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (c == '"' || c == '\'') {
        int start = i;
        String value = string();
        if (afterImport) {
          found.add(new Reference(start, "@import", value));
        } else if (!functions.isEmpty() && IMAGE_FUNCTIONS.contains(functions.peek())) {
          found.add(new Reference(start, functions.peek() + "()", value));
        }
        afterImport = false;
      } else if (c == '@') {
        i++;
        afterImport = name().toLowerCase(Locale.ROOT).equals("import");
      } else if (startsName()) {
        int start = i;
        String name = name().toLowerCase(Locale.ROOT);
        if (i < n && css.charAt(i) == '(') {
          i++;
          if (name.equals("url") || name.equals("src")) {
            skipWhitespace();
            if (i < n && (css.charAt(i) == '"' || css.charAt(i) == '\'')) {
              found.add(new Reference(start, name + "()", string()));
              functions.push(name);
            } else {
              found.add(new Reference(start, name + "()", unquotedUrl()));
            }
            afterImport = false;
          } else {
            functions.push(name);
          }
        }
      } else {
        if (c == '(') {
          functions.push("");
        } else if (c == ')' && !functions.isEmpty()) {
          functions.pop();
        } else if (c == ';' || c == '{' || c == '}') {
          afterImport = false;
          functions.clear();
        }
        i++;
      }
    }
  }

  private boolean startsName() {
    char c = css.charAt(i);
    if (c == '\\') {
      return i + 1 < css.length() && css.charAt(i + 1) != '\n';
    }
    return nameChar(c) && !(c >= '0' && c <= '9');
  }

  private static boolean nameChar(char c) {
    return c == '-' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
  }

  /** A name (identifier or function name), escapes decoded. */
  private String name() {
    StringBuilder out = new StringBuilder();
    while (i < css.length()) {
      char c = css.charAt(i);
      if (c == '\\' && i + 1 < css.length() && css.charAt(i + 1) != '\n') {
        i++;
        escape(out);
      } else if (nameChar(c)) {
        out.append(c);
        i++;
      } else {
        break;
      }
    }
    return out.toString();
  }

  /** A quoted string from its opening quote, escapes decoded; an unterminated one ends at the line's end. */
  private String string() {
    char quote = css.charAt(i++);
    StringBuilder out = new StringBuilder();
    while (i < css.length()) {
      char c = css.charAt(i);
      if (c == quote) {
        i++;
        break;
      } else if (c == '\n') {
        break;
      } else if (c == '\\') {
        i++;
        if (i < css.length() && css.charAt(i) == '\n') {
          i++;
        } else if (i < css.length()) {
          escape(out);
        }
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  /** The rest of an unquoted {@code url(} up to its {@code )}, escapes decoded, whitespace trimmed. */
  private String unquotedUrl() {
    StringBuilder out = new StringBuilder();
    while (i < css.length()) {
      char c = css.charAt(i);
      if (c == ')') {
        i++;
        break;
      } else if (c == '\\' && i + 1 < css.length()) {
        i++;
        escape(out);
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString().strip();
  }

  /** Decodes the escape whose backslash was just passed: up to six hex digits and one whitespace, or one character. */
  private void escape(StringBuilder out) {
    int start = i;
    while (i < css.length() && i - start < 6 && Character.digit(css.charAt(i), 16) >= 0) {
      i++;
    }
    if (i > start) {
      int code = Integer.parseInt(css.substring(start, i), 16);
      out.appendCodePoint(code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF) ? 0xFFFD : code);
      if (i < css.length() && Character.isWhitespace(css.charAt(i))) {
        i++;
      }
    } else {
      out.append(css.charAt(i++));
    }
  }

  private void skipWhitespace() {
    while (i < css.length() && Character.isWhitespace(css.charAt(i))) {
      i++;
    }
  }
}
