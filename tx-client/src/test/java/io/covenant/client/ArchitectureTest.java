package io.covenant.client;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The client runs in any Java service: no Vert.x, nothing of the coordinator (a test-only
 * dependency here), and the Servlet API (provided by a container) only in its own package.
 */
class ArchitectureTest {
  static JavaClasses classes;

  @BeforeAll
  static void importClasses() throws Exception {
    // The module's own main classes only: scanning the test classpath for the package is slow.
    Path mainClasses = Path.of(CovenantClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    classes = new ClassFileImporter().importPath(mainClasses);
  }

  @Test
  void dependsOnNeitherVertxNorTheCoordinator() {
    noClasses().should().dependOnClassesThat()
        .resideInAnyPackage("io.vertx..", "io.netty..", "io.covenant.coordinator..")
        .check(classes);
  }

  @Test
  void usesTheServletApiOnlyInTheServletPackage() {
    noClasses().that().resideOutsideOfPackage("io.covenant.client.servlet..")
        .should().dependOnClassesThat().resideInAnyPackage("jakarta.servlet..")
        .check(classes);
  }

  @Test
  void internalDependsOnNoAdapter() {
    noClasses().that().resideInAPackage("io.covenant.client.internal..")
        .should().dependOnClassesThat().resideInAnyPackage("io.covenant.client.servlet..")
        .check(classes);
  }
}
