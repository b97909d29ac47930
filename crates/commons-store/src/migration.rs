//! Schema migrations, run by hand rather than by `sqlx::migrate!`, which would pull in
//! sqlx's macro machinery: each backend embeds its numbered `.sql` files, records applied
//! versions in `schema_migrations`, and applies each missing one in its own transaction.

/// One embedded migration file, `migrations/<backend>/NNNN_name.sql`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Refuses a database that a newer build has migrated: this build would not understand
/// its schema.
pub(crate) fn check_not_newer(
    applied_max: Option<i64>,
    migrations: &[Migration],
) -> crate::Result<()> {
    let known_max = migrations.last().map_or(0, |migration| migration.version);
    match applied_max {
        Some(applied) if applied > known_max => Err(crate::StoreError::Migration(format!(
            "the database schema is at version {applied}, newer than this build's {known_max}"
        ))),
        _ => Ok(()),
    }
}

/// Refuses a database whose record of an applied version names a different migration.
pub(crate) fn check_same_name(migration: &Migration, recorded_name: &str) -> crate::Result<()> {
    if recorded_name == migration.name {
        Ok(())
    } else {
        Err(crate::StoreError::Migration(format!(
            "version {} is recorded as {recorded_name:?} but this build calls it {:?}",
            migration.version, migration.name
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::Migration;

    /// Every file in the backend's migrations directory is embedded, under the version and
    /// name its file name gives, in increasing order, so a new file cannot be forgotten.
    fn check_embedded(backend: &str, migrations: &[Migration]) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
            .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()
            .unwrap_or_else(|error| panic!("listing {}: {error}", dir.display()));
        files.sort();
        let embedded: Vec<String> = migrations
            .iter()
            .map(|migration| format!("{:04}_{}.sql", migration.version, migration.name))
            .collect();
        assert_eq!(files, embedded);
        for (position, migration) in migrations.iter().enumerate() {
            let on_disk = std::fs::read_to_string(dir.join(&embedded[position]))
                .unwrap_or_else(|error| panic!("reading {}: {error}", embedded[position]));
            assert_eq!(on_disk, migration.sql);
            assert_eq!(i64::try_from(position + 1).ok(), Some(migration.version));
        }
    }

    #[test]
    fn every_sqlite_migration_file_is_embedded_in_order() {
        check_embedded("sqlite", crate::sqlite::MIGRATIONS);
    }

    #[test]
    fn every_postgres_migration_file_is_embedded_in_order() {
        check_embedded("postgres", crate::postgres::MIGRATIONS);
    }
}
