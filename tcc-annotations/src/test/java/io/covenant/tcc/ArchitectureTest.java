package io.covenant.tcc;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The annotations run in any Java service, as tx-client does: no Vert.x, nothing of the coordinator
 * (a test-only dependency here), and ByteBuddy only behind the API, in the class that makes
 * subclasses and in {@code internal}.
 */
class ArchitectureTest {
  static JavaClasses classes;

  @BeforeAll
  static void importClasses() throws Exception {
    Path mainClasses = Path.of(Tcc.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    classes = new ClassFileImporter().importPath(mainClasses);
  }

  @Test
  void dependsOnNeitherVertxNorTheCoordinator() {
    noClasses().should().dependOnClassesThat()
        .resideInAnyPackage("io.vertx..", "io.netty..", "io.covenant.coordinator..")
        .check(classes);
  }

  @Test
  void usesByteBuddyOnlyToMakeSubclasses() {
    noClasses().that().resideInAPackage("io.covenant.tcc").and().doNotHaveSimpleName("Tcc")
        .should().dependOnClassesThat().resideInAnyPackage("net.bytebuddy..")
        .check(classes);
  }
}
