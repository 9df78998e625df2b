// A thin RAII layer over SQLite: a connection, prepared statements, transactions. Every failure
// throws mulan::Error naming the database file and SQLite's message. No LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace mulan::library {

class Db;

class Stmt {
 public:
  Stmt(const Db& db, const char* sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Binds are 1-based, as in SQL.
  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view text);
  Stmt& bind_blob(int i, const void* data, std::size_t n);
  // The next row: true while there is one. A statement that returns nothing: step() once.
  bool step();
  void reset();

  int64_t integer(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::string_view blob(int col) const;  // valid until the next step()

 private:
  const Db& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Db {
 public:
  // writable: read-write and created when missing (WAL journal); otherwise read-only.
  Db(std::string path, bool writable);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const char* sql) const;
  int64_t last_insert_id() const;
  const std::string& path() const { return path_; }
  [[noreturn]] void fail(const std::string& what) const;  // mulan::Error "PATH: WHAT: sqlite's message"
  sqlite3* handle() const { return db_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back when destroyed without commit().
class Transaction {
 public:
  explicit Transaction(const Db& db);
  ~Transaction();
  void commit();

 private:
  const Db& db_;
  bool done_ = false;
};

}  // namespace mulan::library
