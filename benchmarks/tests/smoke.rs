//! Every measured operation runs once on a small generated set and gives the right result,
//! so the benchmarks measure real work (this is not a timed test).

use migrate_bench::{Fixture, ScratchDb};

const N: usize = 10;

#[test]
fn the_runtime_applies_the_whole_set_like_plain_sqlite() {
    let f = Fixture::new(N);
    assert_eq!(f.migrations.len(), N);

    let mut runtime = ScratchDb::file(&f);
    assert_eq!(migrate_bench::apply(&f.migrations, &mut runtime.conn), N);
    let mut plain = ScratchDb::file(&f);
    assert_eq!(
        migrate_bench::plain_per_transaction(&f.sql, &mut plain.conn),
        N
    );
    for conn in [&runtime.conn, &plain.conn] {
        assert_eq!(
            migrate_bench::user_table_count(conn).unwrap(),
            migrate_bench::tables_created(N) as i64
        );
        let rows = migrate_test_kit::count(conn, "SELECT count(*) FROM table_1");
        assert_eq!(rows, migrate_bench::ROWS_IN_FIRST_TABLE);
    }
    let recorded = migrate_test_kit::count(&runtime.conn, "SELECT count(*) FROM schema_migrations");
    assert_eq!(recorded, N as i64);
}

#[test]
fn grouped_and_in_memory_applies_match_their_floors() {
    let f = Fixture::new(N);
    let mut grouped = ScratchDb::file(&f);
    assert_eq!(
        migrate_bench::apply_single_transaction(&f.migrations, &mut grouped.conn),
        N
    );
    let mut plain = ScratchDb::file(&f);
    migrate_bench::plain_single_transaction(&f.sql, &mut plain.conn);
    let mut memory = migrate_bench::open_memory();
    assert_eq!(migrate_bench::apply(&f.migrations, &mut memory), N);
    for conn in [&grouped.conn, &plain.conn, &memory] {
        assert_eq!(
            migrate_bench::user_table_count(conn).unwrap(),
            migrate_bench::tables_created(N) as i64
        );
    }
}

#[test]
fn the_foreign_key_workload_applies_like_plain_sqlite_with_every_check() {
    let f = Fixture::with_foreign_keys(N);
    let mut runtime = ScratchDb::file(&f);
    assert_eq!(migrate_bench::apply(&f.migrations, &mut runtime.conn), N);
    let mut full = migrate_bench::open_memory();
    assert_eq!(migrate_bench::apply_full_check(&f.migrations, &mut full), N);
    let mut plain = migrate_bench::open_memory();
    assert_eq!(migrate_bench::plain_per_transaction(&f.sql, &mut plain), N);
    let parents = migrate_bench::PARENT_ROWS as i64; // + 1 late - 1 deleted
    let children = migrate_bench::CHILD_ROWS as i64; // + 2 late - 2 of the deleted parent
    for conn in [&runtime.conn, &full, &plain] {
        assert_eq!(migrate_test_kit::count(conn, "PRAGMA foreign_keys"), 1);
        assert_eq!(
            migrate_test_kit::count(conn, "SELECT count(*) FROM pragma_foreign_key_check"),
            0
        );
        for pair in 1..=2 {
            let count = |table: &str| {
                migrate_test_kit::count(conn, &format!("SELECT count(*) FROM {table}_{pair}"))
            };
            assert_eq!(count("parent"), parents);
            assert_eq!(count("child"), children);
        }
    }
}

#[test]
fn start_up_checks_on_a_fresh_connection_find_nothing_to_do() {
    let f = Fixture::new(N);
    let path = f.up_to_date_db();
    let bytes = std::fs::read(&path).unwrap();
    let mut conn = migrate_bench::open_fresh(&path);
    assert_eq!(migrate_bench::noop_run(&f.migrations, &mut conn), 0);
    let mut conn = migrate_bench::open_fresh(&path);
    assert_eq!(
        migrate_bench::noop_version_only(&f.migrations, &mut conn),
        0
    );
    let conn = migrate_bench::open_fresh(&path);
    assert_eq!(migrate_bench::status(&f.migrations, &conn), N);
    let conn = migrate_bench::open_fresh(&path);
    assert_eq!(migrate_bench::floor_user_version(&conn), N as i64);
    let conn = migrate_bench::open_fresh(&path);
    assert_eq!(migrate_bench::floor_first_query(&conn), 1);
    drop(conn);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the no-op runs wrote nothing"
    );
}

#[test]
fn the_expansion_embeds_every_migration_without_a_rebuild_warning() {
    let f = Fixture::new(N);
    let tokens = migrate_bench::expand(f.root()).to_string();
    assert!(tokens.contains("__private :: from_embedded"), "{tokens}");
    assert!(tokens.contains(&migrate_bench::file_name(N)), "{tokens}");
    // The fixture's build.rs tracks the directory: no per-file include_bytes!, no warning.
    assert!(!tokens.contains("include_bytes"), "{tokens}");
    assert!(!tokens.contains("deprecated"), "{tokens}");
}

#[test]
fn generated_sets_are_valid_at_every_size_in_the_rotation() {
    for n in [1, 4, 5, 6, 23] {
        let f = Fixture::new(n);
        let mut conn = migrate_bench::open_memory();
        assert_eq!(migrate_bench::apply(&f.migrations, &mut conn), n);
        assert_eq!(
            migrate_bench::user_table_count(&conn).unwrap(),
            migrate_bench::tables_created(n) as i64
        );
    }
}

#[test]
fn the_expansion_with_verify_accepts_the_set_with_and_without_down_files() {
    for f in [Fixture::new(N), Fixture::with_downs(N)] {
        let tokens = migrate_bench::expand_verify(f.root()).to_string();
        assert!(tokens.contains("__private :: from_embedded"), "{tokens}");
        assert!(tokens.contains(&migrate_bench::file_name(N)), "{tokens}");
        // No lint (a lint is a deprecation warning in the expansion).
        assert!(!tokens.contains("deprecated"), "{tokens}");
    }
    // The down files are embedded (the runtime has them too).
    let d = Fixture::with_downs(N);
    let tokens = migrate_bench::expand_verify(d.root()).to_string();
    assert!(tokens.contains("DROP TABLE table_1"), "{tokens}");
}

#[test]
fn the_down_files_are_verified_a_wrong_one_is_refused() {
    let d = Fixture::with_downs(N);
    // Migration 3 creates two indexes; a down file that drops one leaves the other behind.
    std::fs::write(
        d.root()
            .join("migrations")
            .join(migrate_bench::down_file_name(3)),
        "DROP INDEX table_1_created_at;\n",
    )
    .unwrap();
    let error = migrate_bench::expand_verify_result(d.root()).unwrap_err();
    assert!(error.contains("table_1_status_score"), "{error}");
}

#[test]
fn the_verification_floors_apply_the_set_and_its_down_files() {
    let d = Fixture::with_downs(N);
    assert_eq!(d.downs.len(), N);
    let mut conn = migrate_bench::open_memory();
    assert_eq!(
        migrate_bench::plain_up_and_down(&d.sql, &d.downs, &mut conn),
        N
    );
    // The down files were rolled back: the whole set is applied.
    assert_eq!(
        migrate_bench::user_table_count(&conn).unwrap(),
        migrate_bench::tables_created(N) as i64
    );
    let rows = migrate_test_kit::count(&conn, "SELECT count(*) FROM table_1");
    assert_eq!(rows, migrate_bench::ROWS_IN_FIRST_TABLE);
    // Each down file, run right after its migration, restores the schema before it.
    let mut conn = migrate_bench::open_memory();
    let schema = |conn: &rusqlite::Connection| -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    for (up, down) in d.sql.iter().zip(&d.downs) {
        let before = schema(&conn);
        conn.execute_batch(up).unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(down).unwrap();
        assert_eq!(schema(&tx), before, "{down}");
        tx.rollback().unwrap();
    }
}

#[test]
fn fleets_apply_and_check_like_their_floors() {
    let f = Fixture::new(N);
    let dir = tempfile::tempdir().unwrap();
    let engine = migrate_bench::fleet_paths(&dir.path().join("engine"), 6);
    let plain = migrate_bench::fleet_paths(&dir.path().join("plain"), 6);
    std::fs::create_dir_all(dir.path().join("engine")).unwrap();
    std::fs::create_dir_all(dir.path().join("plain")).unwrap();
    assert_eq!(migrate_bench::fleet_apply(&f.migrations, &engine, 2), 6 * N);
    assert_eq!(migrate_bench::plain_fleet_apply(&f.sql, &plain, 2), 6 * N);
    for path in engine.iter().chain(&plain) {
        let conn = migrate_bench::open_file(path);
        assert_eq!(
            migrate_bench::user_table_count(&conn).unwrap(),
            migrate_bench::tables_created(N) as i64
        );
    }
    assert_eq!(
        migrate_bench::fleet_up_to_date(&f.migrations, &engine, 2),
        6
    );
    std::fs::create_dir_all(dir.path().join("copies")).unwrap();
    let copies = migrate_bench::up_to_date_fleet(&f, &dir.path().join("copies"), 3);
    assert_eq!(
        migrate_bench::fleet_up_to_date(&f.migrations, &copies, 1),
        3
    );
    assert_eq!(migrate_bench::plain_fleet_first_query(&copies, 2), 3);
}

#[test]
fn test_databases_are_the_applied_set_and_isolated_copies() {
    let f = Fixture::new(N);
    let mut applied = migrate_bench::open_memory();
    assert_eq!(migrate_bench::apply(&f.migrations, &mut applied), N);
    let copy = migrate_bench::test_database(&f.migrations);
    let queried = migrate_bench::test_database_first_query(&f.migrations);
    // The same schema as a fresh apply; rows written with `now()` differ from those of a
    // fresh apply, but two copies of the one template are equal to the byte.
    let schema = "SELECT type, name, sql FROM sqlite_schema ORDER BY name";
    assert_eq!(
        migrate_test_kit::rows_of(&copy, schema),
        migrate_test_kit::rows_of(&applied, schema)
    );
    assert_eq!(
        migrate_test_kit::user_dump(&copy),
        migrate_test_kit::user_dump(&queried)
    );
    for conn in [&copy, &queried] {
        assert_eq!(
            migrate_bench::user_table_count(conn).unwrap(),
            migrate_bench::tables_created(N) as i64
        );
        assert_eq!(f.migrations.current_version(conn).unwrap(), N as i64);
    }
    copy.execute("DELETE FROM table_1", []).unwrap();
    let rows = migrate_test_kit::count(&queried, "SELECT count(*) FROM table_1");
    assert_eq!(rows, migrate_bench::ROWS_IN_FIRST_TABLE);
}
