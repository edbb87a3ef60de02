package dev.sotto.conformance;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * What the runner carries inside itself, copied there by the build (conformance/pom.xml): the
 * published vectors, byte for byte as in {@code vectors/}, the two specification tables that
 * {@code mutants} is generated from, and the build's version. With them the runner works from any
 * working directory, with nothing beside its jar.
 */
final class Bundled {
  /** The directory of the bundled vectors, and a file that is always in it. */
  static final String VECTORS = "vectors";
  private static final String VECTORS_MARKER = "identity.json";
  /** The directory of the bundled specification tables, and a file that is always in it. */
  static final String SPEC = "spec";
  private static final String SPEC_MARKER = "harness.adoc";

  private Bundled() {}

  /** The bundled vectors, as a directory that {@code Files} can list and read (inside the jar, or in the build's classes). */
  static Path vectors() {
    return directory(VECTORS, VECTORS_MARKER);
  }

  /** The bundled {@code harness.adoc} and {@code errors.adoc}, as a directory. */
  static Path spec() {
    return directory(SPEC, SPEC_MARKER);
  }

  /** The version this runner was built as (the Maven project's version). */
  static String version() {
    try (InputStream in = Bundled.class.getResourceAsStream("runner.properties")) {
      if (in == null) {
        throw new IllegalStateException("this runner was built without dev/sotto/conformance/runner.properties");
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path directory(String name, String marker) {
    String resource = "/" + name + "/" + marker;
    URL url = Bundled.class.getResource(resource);
    if (url == null) {
      throw new IllegalStateException("this runner was built without its bundled " + name + "/ (no " + resource
          + " on its class path)");
    }
    try {
      URI uri = url.toURI();
      if (uri.getScheme().equals("jar")) {
        // A file inside the jar is a Path only once the jar is open as a file system; it stays open
        // for the life of the process.
        try {
          FileSystems.newFileSystem(uri, Map.of());
        } catch (FileSystemAlreadyExistsException alreadyOpen) {
          // Opened by an earlier call.
        }
      }
      return Path.of(uri).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot read the runner's own resource " + url, e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the runner's jar to read " + resource, e);
    }
  }
}
