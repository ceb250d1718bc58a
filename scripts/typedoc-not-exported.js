// A TypeDoc plugin (loaded by typedoc.config.js): the `notExported` check for a reference of several packages.
// TypeDoc's own check passes over every type declared in a package other than the project's, and in a reference
// of several packages the project's is the repository root (`twofold`), so it would never look at ours. This one
// looks at the packages in `packagesRequiringDocumentation`: a type a documented declaration or signature names,
// declared in one of them, that is not in the reference, is a warning naming both.
import { Application, makeRecursiveVisitor } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    if (!app.options.getValue('validation').notExported) return;
    const packages = new Set(app.options.getValue('packagesRequiringDocumentation'));
    const warned = new Set();
    for (const owner of Object.values(project.reflections)) {
      const visitor = makeRecursiveVisitor({
        reference(type) {
          if (type.reflection || type.externalUrl || type.isIntentionallyBroken()) return;
          if (!type.package || !packages.has(type.package) || !type.symbolId) return;
          const key = type.symbolId.getStableKey();
          if (warned.has(key)) return;
          warned.add(key);
          app.logger.validationWarning(
            `${type.qualifiedName}, defined in ${type.symbolId.packageName}/${type.symbolId.packagePath}, is referenced by ${owner.getFriendlyFullName()} but not exported`,
          );
        },
      });
      // As TypeDoc's own check: the types a reflection declares and implements, not the classes it extends (a
      // base class's public members are documented on the class that extends it).
      owner.type?.visit(visitor);
      owner.default?.visit(visitor);
      for (const type of owner.implementedTypes ?? []) type.visit(visitor);
    }
  });
}
