package dev.sotto.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sotto.internal.Labels;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * spec: suite.adoc#labels: "No label is a prefix of another", over every label of the
 * implementation and every label the specification writes; every label of the implementation is
 * specified, and every label of the table is implemented.
 */
class LabelsTest {
  private static final Pattern QUOTED = Pattern.compile("\"(sotto/v[12]/[A-Za-z0-9/._-]+)\"");
  private static final Pattern TABLE_ROW = Pattern.compile("^\\| `(sotto/v[12]/[^`]+)` \\|", Pattern.MULTILINE);

  static Path spec() {
    return Path.of(System.getProperty("sotto.spec.dir", "../spec"));
  }

  static TreeSet<String> implementationLabels() throws IllegalAccessException {
    TreeSet<String> labels = new TreeSet<>();
    for (Field f : Labels.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == byte[].class) {
        labels.add(new String((byte[]) f.get(null), StandardCharsets.US_ASCII));
      }
    }
    return labels;
  }

  @Test
  void noLabelIsAPrefixOfAnother() throws IOException, IllegalAccessException {
    TreeSet<String> all = implementationLabels();
    try (Stream<Path> files = Files.list(spec())) {
      for (Path file : files.filter(p -> p.toString().endsWith(".adoc")).toList()) {
        Matcher m = QUOTED.matcher(Files.readString(file, StandardCharsets.UTF_8));
        while (m.find()) {
          all.add(m.group(1));
        }
      }
    }
    List<String> clashes = new ArrayList<>();
    for (String a : all) {
      for (String b : all) {
        if (!a.equals(b) && b.startsWith(a)) {
          clashes.add("'" + a + "' is a prefix of '" + b + "'");
        }
      }
    }
    assertEquals(List.of(), clashes);
  }

  @Test
  void everyLabelOfTheImplementationIsSpecifiedAndEveryTabledLabelImplemented()
      throws IOException, IllegalAccessException {
    TreeSet<String> written = new TreeSet<>();
    try (Stream<Path> files = Files.list(spec())) {
      for (Path file : files.filter(p -> p.toString().endsWith(".adoc")).toList()) {
        Matcher m = QUOTED.matcher(Files.readString(file, StandardCharsets.UTF_8));
        while (m.find()) {
          written.add(m.group(1));
        }
      }
    }
    TreeSet<String> unspecified = implementationLabels();
    unspecified.removeAll(written);
    assertEquals(new TreeSet<String>(), unspecified, "labels of Labels.java that no chapter writes");

    String suite = Files.readString(spec().resolve("suite.adoc"), StandardCharsets.UTF_8);
    int table = suite.indexOf("[[label-table]]");
    assertTrue(table >= 0, "suite.adoc has no label table");
    TreeSet<String> listed = new TreeSet<>();
    Matcher m = TABLE_ROW.matcher(suite.substring(table));
    while (m.find()) {
      listed.add(m.group(1));
    }
    listed.removeAll(implementationLabels());
    assertEquals(new TreeSet<String>(), listed, "labels of the label table that Labels.java does not have");
  }
}
