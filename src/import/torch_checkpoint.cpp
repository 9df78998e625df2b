// Reading torch.save zip archives of state dicts: the archive through libarchive's zip reader
// (from its central directory), "data.pkl" through a minimal unpickler of the opcodes and globals
// a state dict uses (pickle protocol 2, as torch.save writes; see Python's Lib/pickletools.py for
// the opcode reference), the storages as raw little-endian records "data/<key>". Nothing a file
// says is trusted with memory: a record's declared size is checked before it is inflated and
// inflating stops at the first byte past it; the unpickler's objects are counted.
#include "import/torch_checkpoint.h"

#include <archive.h>
#include <archive_entry.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <new>
#include <unordered_map>

#include "mulan/error.h"

namespace mulan::model {
namespace {

// C++17 here, not std::endian or std::bit_cast: scripts/fuzz.sh compiles this file with clang++ in
// C++17 mode, as clang 14 cannot compile LibTorch 1.13's headers in C++20 mode.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "storages are read as little-endian bytes");

constexpr size_t kMaxPickleBytes = size_t{32} << 20;  // a state dict's pickle is ~100 bytes a tensor
constexpr size_t kMaxByteorderBytes = 16;              // "little" or "big"
constexpr size_t kMaxRecords = size_t{1} << 20;        // a state dict has a record per storage
constexpr size_t kMaxNameBytes = 256;                  // a GLOBAL's module or name
constexpr size_t kMaxDims = 64;
constexpr int64_t kMaxElements = int64_t{1} << 50;
// What the unpickler may build, however small the pickle (30 KB of deflated EMPTY_TUPLE opcodes
// are 30 million objects). A state dict's pickle makes ~14 objects, ~8 memo entries and ~22
// container references a tensor and never has more than a few thousand entries on its stack
// (torch.save's pickler sets dict items in batches of 1000): room for ~70,000 tensors, in at
// most ~200 MB.
constexpr size_t kMaxValues = size_t{1} << 20;
constexpr size_t kMaxMemo = size_t{1} << 20;
constexpr size_t kMaxItems = size_t{1} << 22;
constexpr size_t kMaxStack = size_t{1} << 20;  // stack entries, and MARKs
// A deflated record may inflate a thousandfold. Each storage is at most the file's size, and
// the storages together at most this many times it: torch.save stores its records as they are,
// so that its storages fit in the file; a deflated archive of weights compresses by less than 2.
constexpr uint64_t kMaxStorageFactor = 16;
// Views of one storage are copied out one by one: the copies together may not exceed this many
// times the file's size (plus a floor), so that a small file cannot ask for terabytes.
constexpr uint64_t kMaxOutputFactor = 16;
constexpr uint64_t kMaxOutputFloor = uint64_t{1} << 30;

enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

// The only globals a checkpoint may name.
enum class Callable { OrderedDict, RebuildTensorV2, RebuildTensor, RebuildParameter, RebuildParameterWithState, StorageType };

struct AllowedGlobal {
  const char* name;  // "module.name"
  Callable callable;
  at::ScalarType dtype;  // StorageType only
};

constexpr AllowedGlobal kAllowedGlobals[] = {
    {"collections.OrderedDict", Callable::OrderedDict, at::kFloat},
    {"torch._utils._rebuild_tensor_v2", Callable::RebuildTensorV2, at::kFloat},
    {"torch._utils._rebuild_tensor", Callable::RebuildTensor, at::kFloat},
    {"torch._utils._rebuild_parameter", Callable::RebuildParameter, at::kFloat},
    {"torch._utils._rebuild_parameter_with_state", Callable::RebuildParameterWithState, at::kFloat},
    {"torch.FloatStorage", Callable::StorageType, at::kFloat},
    {"torch.DoubleStorage", Callable::StorageType, at::kDouble},
    {"torch.HalfStorage", Callable::StorageType, at::kHalf},
    {"torch.BFloat16Storage", Callable::StorageType, at::kBFloat16},
    {"torch.LongStorage", Callable::StorageType, at::kLong},
    {"torch.IntStorage", Callable::StorageType, at::kInt},
    {"torch.ShortStorage", Callable::StorageType, at::kShort},
    {"torch.CharStorage", Callable::StorageType, at::kChar},
    {"torch.ByteStorage", Callable::StorageType, at::kByte},
    {"torch.BoolStorage", Callable::StorageType, at::kBool},
    {"torch.UntypedStorage", Callable::StorageType, at::kByte},  // torch 2.x, a bare storage
};

// A tensor as the pickle describes it: a strided view of a storage, checked to lie inside it.
struct TensorView {
  size_t storage = 0;  // index into Unpickler::storages_
  int64_t offset = 0;
  std::vector<int64_t> sizes, strides;
  int64_t numel = 0;
};

// One unpickled object. Objects live in one deque and refer to each other by index, so nesting
// and cycles cost no recursion anywhere (not even in destruction).
struct Value {
  Kind kind = Kind::None;
  int64_t i = 0;              // Int, Bool; Global: index into kAllowedGlobals; Storage, Tensor: side table
  double f = 0;               // Float
  std::string s;              // String
  std::vector<size_t> items;  // Tuple, List; Dict: key, value, key, value, ... (later keys win)
};

struct Storage {
  std::string key;
  at::ScalarType dtype;
  int64_t numel = 0;
  at::Tensor data;  // 1-D, the whole storage; read once the pickle has named every storage
};

std::string first_line(const char* s) {
  std::string m(s ? s : "unknown error");
  const auto nl = m.find('\n');
  return printable(nl == std::string::npos ? m : m.substr(0, nl));
}

// Text from the file in a message: quoted, on one line, and not too long.
std::string quote(const std::string& s) {
  constexpr size_t kShown = 200;
  return "'" + printable(s.substr(0, kShown)) + (s.size() > kShown ? "...'" : "'");
}

// A zip archive's records in file order, as its central directory lists them (libarchive's
// "seekable" zip reader): each with the uncompressed size it declares. Nothing is inflated until
// read() asks for a record, and then never more than the size asked for (plus one byte, to see
// that there is no more).
class ZipRecords {
 public:
  explicit ZipRecords(const std::string& path) : path_(path), a_(archive_read_new(), archive_read_free) {
    if (!a_) throw std::bad_alloc();
    archive_read_support_format_zip_seekable(a_.get());
    if (archive_read_open_filename(a_.get(), path.c_str(), size_t{1} << 20) != ARCHIVE_OK) unreadable();
  }

  // The next record's name and declared size (UINT64_MAX when it declares none); false at the end.
  bool next(std::string& name, uint64_t& size) {
    archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(a_.get(), &entry);
    if (rc == ARCHIVE_EOF) return false;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) unreadable();
    const char* n = archive_entry_pathname(entry);
    name = n ? n : "";
    size = archive_entry_size_is_set(entry) && archive_entry_size(entry) >= 0 ? static_cast<uint64_t>(archive_entry_size(entry))
                                                                               : UINT64_MAX;
    return true;
  }

  // Reads the current record `name`, which must be `size` bytes, into dst.
  void read(const std::string& name, void* dst, uint64_t size) {
    auto* out = static_cast<char*>(dst);
    uint64_t got = 0;
    while (got < size) {
      const la_ssize_t n = archive_read_data(a_.get(), out + got, static_cast<size_t>(std::min<uint64_t>(size - got, 1 << 30)));
      if (n < 0) failed(name);
      if (n == 0) fail(quote(name) + " ends after " + std::to_string(got) + " of its " + std::to_string(size) + " bytes");
      got += static_cast<uint64_t>(n);
    }
    char more = 0;
    const la_ssize_t n = archive_read_data(a_.get(), &more, 1);
    if (n > 0) fail(quote(name) + " inflates to more than its declared " + std::to_string(size) + " bytes");
    if (n < 0) failed(name);  // a wrong CRC, say
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { throw Error(file_error(path_, message)); }
  [[noreturn]] void unreadable() const {
    fail("not a readable torch.save zip archive (PyTorch >= 1.6): " + first_line(archive_error_string(a_.get())));
  }
  [[noreturn]] void failed(const std::string& name) const {
    fail("cannot read " + quote(name) + ": " + first_line(archive_error_string(a_.get())));
  }

  std::string path_;
  std::unique_ptr<archive, int (*)(archive*)> a_;
};

// The archive's records by name, with their declared sizes, and what data.pkl and byteorder hold.
struct ArchiveIndex {
  std::unordered_map<std::string, uint64_t> sizes;
  std::string prefix;  // "archive/": the folder that data.pkl is in, which every record is in
  std::string pickle;
  std::string byteorder = "little";
};

// One pass over the archive: indexes every record and reads the two small ones, each checked
// against its limit before anything is inflated.
ArchiveIndex index_archive(const std::string& path) {
  const auto fail = [&](const std::string& message) { throw Error(file_error(path, message)); };
  ArchiveIndex index;
  std::unordered_map<std::string, std::string> byteorders;  // by folder
  bool have_pickle = false;
  ZipRecords zip(path);
  std::string name;
  uint64_t size = 0;
  while (zip.next(name, size)) {
    if (index.sizes.size() >= kMaxRecords) fail("archive has more than " + std::to_string(kMaxRecords) + " records");
    if (!index.sizes.emplace(name, size).second) fail("archive has two records named " + quote(name));
    const auto slash = name.find('/');
    if (slash == 0 || slash == std::string::npos) continue;
    const std::string folder = name.substr(0, slash + 1), rest = name.substr(slash + 1);
    if (rest == "data.pkl") {
      if (have_pickle) fail("archive has two data.pkl records, " + quote(index.prefix + "data.pkl") + " and " + quote(name));
      if (size > kMaxPickleBytes)
        fail(quote(name) + " declares " + (size == UINT64_MAX ? "no size" : std::to_string(size) + " bytes") +
             ", more than the " + std::to_string(kMaxPickleBytes) + " of any state dict's pickle");
      index.pickle.resize(static_cast<size_t>(size));
      zip.read(name, index.pickle.data(), size);
      index.prefix = folder;
      have_pickle = true;
    } else if (rest == "byteorder") {
      if (size > kMaxByteorderBytes) fail(quote(name) + " is larger than a byteorder record ('little' or 'big')");
      std::string b(static_cast<size_t>(size), '\0');
      zip.read(name, b.data(), size);
      byteorders[folder] = b;
    }
  }
  if (!have_pickle) fail("archive has no data.pkl (not a torch.save checkpoint)");
  if (const auto it = byteorders.find(index.prefix); it != byteorders.end()) index.byteorder = it->second;
  return index;
}

class Unpickler {
 public:
  Unpickler(const std::string& path, const ArchiveIndex& index, uint64_t file_size)
      : path_(path),
        index_(index),
        file_size_(file_size),
        p_(reinterpret_cast<const uint8_t*>(index.pickle.data())),
        end_(p_ + index.pickle.size()),
        begin_(p_) {}

  size_t run();  // -> index of the object that STOP returns
  TensorMap state_dict(size_t top);

 private:
  [[noreturn]] void fail(const std::string& message) const {
    const std::string where = at_ == kDone ? "" : " (at byte " + std::to_string(at_) + ")";
    throw Error(file_error(path_, "data.pkl: " + message + where));
  }
  void need(size_t n) const {
    if (static_cast<size_t>(end_ - p_) < n) fail("truncated pickle");
  }
  uint64_t le(size_t n) {
    need(n);
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(p_[k]) << (8 * k);
    p_ += n;
    return v;
  }
  std::string take(uint64_t n) {
    if (n > static_cast<uint64_t>(end_ - p_)) fail("truncated pickle (a string runs past its end)");
    std::string s(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return s;
  }
  std::string line() {
    const auto* nl = static_cast<const uint8_t*>(std::memchr(p_, '\n', static_cast<size_t>(end_ - p_)));
    if (!nl || static_cast<size_t>(nl - p_) > kMaxNameBytes) fail("malformed GLOBAL");
    std::string s(reinterpret_cast<const char*>(p_), static_cast<size_t>(nl - p_));
    p_ = nl + 1;
    return s;
  }

  size_t make(Value v) {
    if (values_.size() >= kMaxValues)
      fail("the pickle builds more than " + std::to_string(kMaxValues) + " objects (a state dict's makes ~14 a tensor)");
    count_items(v.items.size());
    values_.push_back(std::move(v));
    return values_.size() - 1;
  }
  void count_items(size_t n) {
    items_ += n;
    if (items_ > kMaxItems) fail("the pickle's containers hold more than " + std::to_string(kMaxItems) + " references");
  }
  void push(size_t v) {
    if (stack_.size() >= kMaxStack) fail("more than " + std::to_string(kMaxStack) + " objects on the pickle's stack");
    stack_.push_back(v);
  }
  size_t make_int(int64_t i, Kind k = Kind::Int) {
    Value v;
    v.kind = k;
    v.i = i;
    return make(std::move(v));
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  size_t pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    const size_t v = stack_.back();
    stack_.pop_back();
    return v;
  }
  size_t top() const {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }
  std::vector<size_t> pop_to_mark() {
    if (marks_.empty()) fail("no MARK before an opcode that needs one");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<size_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  size_t make_container(Kind k, std::vector<size_t> items) {
    Value v;
    v.kind = k;
    v.items = std::move(items);
    return make(std::move(v));
  }
  Value& container(size_t index, Kind k, const char* op) {
    Value& v = values_[index];
    if (v.kind != k) fail(std::string(op) + " on a " + kind_name(v.kind) + ", not a " + kind_name(k));
    return v;
  }
  void memo_put(uint64_t index) {
    const size_t v = top();
    if (memo_.size() >= kMaxMemo && !memo_.count(index)) fail("more than " + std::to_string(kMaxMemo) + " memo entries");
    memo_[index] = v;
  }
  void memo_get(uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo index " + std::to_string(index) + " out of range");
    push(it->second);
  }

  void read_storages(const std::vector<bool>& needed);
  void op_global(const std::string& module, const std::string& name);
  void op_reduce();
  void op_persistent_load();
  size_t rebuild_tensor(const std::vector<size_t>& args, const char* what);
  int64_t get_int(size_t index, const char* what) const {
    if (values_[index].kind != Kind::Int) fail(std::string(what) + " is a " + kind_name(values_[index].kind) + ", not an int");
    return values_[index].i;
  }
  std::vector<int64_t> get_ints(size_t index, const char* what) const {
    const Value& v = values_[index];
    if (v.kind != Kind::Tuple) fail(std::string(what) + " is a " + kind_name(v.kind) + ", not a tuple");
    if (v.items.size() > kMaxDims) fail(std::string(what) + " has more than " + std::to_string(kMaxDims) + " dimensions");
    std::vector<int64_t> out;
    for (size_t item : v.items) out.push_back(get_int(item, what));
    return out;
  }

  std::string path_;
  const ArchiveIndex& index_;
  uint64_t file_size_;
  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* begin_;
  static constexpr size_t kDone = ~size_t{0};
  size_t at_ = 0;  // offset of the opcode being run, for messages; kDone once STOP ran
  std::deque<Value> values_;
  std::vector<size_t> stack_;
  std::vector<size_t> marks_;  // stack heights at each MARK
  std::unordered_map<uint64_t, size_t> memo_;
  size_t items_ = 0;            // references held by containers, all together
  uint64_t storage_bytes_ = 0;  // the storages' sizes, all together
  std::vector<Storage> storages_;
  std::unordered_map<std::string, size_t> storage_index_;
  std::vector<TensorView> tensors_;
};

size_t Unpickler::run() {
  // Immutable constants are shared, so that a run of one-byte opcodes does not allocate (the
  // empty tuple too, as in Python: nothing changes a tuple).
  const size_t none = make(Value{}), yes = make_int(1, Kind::Bool), no = make_int(0, Kind::Bool);
  const size_t empty_tuple = make_container(Kind::Tuple, {});
  for (;;) {
    at_ = static_cast<size_t>(p_ - begin_);
    need(1);
    const uint8_t op = *p_++;
    switch (op) {
      case 0x80: {  // PROTO
        const auto proto = le(1);
        if (proto < 2 || proto > 5) fail("unsupported pickle protocol " + std::to_string(proto));
        break;
      }
      case 0x95: le(8); break;  // FRAME: its length only groups opcodes
      case '.': {  // STOP
        const size_t result = pop();
        at_ = kDone;
        return result;
      }
      case '(':
        if (marks_.size() >= kMaxStack) fail("more than " + std::to_string(kMaxStack) + " MARKs on the pickle's stack");
        marks_.push_back(stack_.size());
        break;
      case '}': push(make_container(Kind::Dict, {})); break;
      case ']': push(make_container(Kind::List, {})); break;
      case ')': push(empty_tuple); break;
      case 't': push(make_container(Kind::Tuple, pop_to_mark())); break;
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        std::vector<size_t> items(static_cast<size_t>(op - 0x84));
        for (size_t k = items.size(); k-- > 0;) items[k] = pop();
        push(make_container(Kind::Tuple, std::move(items)));
        break;
      }
      case 'X': case 0x8c: case 0x8d: {  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
        Value v;
        v.kind = Kind::String;
        v.s = take(le(op == 'X' ? 4 : op == 0x8c ? 1 : 8));
        push(make(std::move(v)));
        break;
      }
      case 'J': push(make_int(static_cast<int32_t>(le(4)))); break;  // BININT
      case 'K': push(make_int(static_cast<int64_t>(le(1)))); break;  // BININT1
      case 'M': push(make_int(static_cast<int64_t>(le(2)))); break;  // BININT2
      case 0x8a: {  // LONG1: n bytes, little-endian two's complement
        const auto n = static_cast<size_t>(le(1));
        if (n > 8) fail("integer wider than 64 bits");
        uint64_t v = le(n);
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
        push(make_int(static_cast<int64_t>(v)));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double
        need(8);
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | *p_++;
        Value v;
        v.kind = Kind::Float;
        std::memcpy(&v.f, &bits, sizeof v.f);
        push(make(std::move(v)));
        break;
      }
      case 0x88: push(yes); break;               // NEWTRUE
      case 0x89: push(no); break;                // NEWFALSE
      case 'N': push(none); break;               // NONE
      case 'q': memo_put(le(1)); break;          // BINPUT
      case 'r': memo_put(le(4)); break;          // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
      case 'h': memo_get(le(1)); break;          // BINGET
      case 'j': memo_get(le(4)); break;          // LONG_BINGET
      case 's': {                                // SETITEM
        const size_t value = pop(), key = pop();
        auto& items = container(top(), Kind::Dict, "SETITEM").items;
        count_items(2);
        items.push_back(key);
        items.push_back(value);
        break;
      }
      case 'u': {  // SETITEMS
        const std::vector<size_t> kv = pop_to_mark();
        if (kv.size() % 2) fail("SETITEMS with an odd number of items");
        auto& items = container(top(), Kind::Dict, "SETITEMS").items;
        count_items(kv.size());
        items.insert(items.end(), kv.begin(), kv.end());
        break;
      }
      case 'a': {  // APPEND
        const size_t value = pop();
        auto& items = container(top(), Kind::List, "APPEND").items;
        count_items(1);
        items.push_back(value);
        break;
      }
      case 'e': {  // APPENDS
        const std::vector<size_t> vs = pop_to_mark();
        auto& items = container(top(), Kind::List, "APPENDS").items;
        count_items(vs.size());
        items.insert(items.end(), vs.begin(), vs.end());
        break;
      }
      case 'c': {  // GLOBAL "module\nname\n"
        const std::string module = line();
        op_global(module, line());
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        const size_t name = pop(), module = pop();
        if (values_[name].kind != Kind::String || values_[module].kind != Kind::String) fail("STACK_GLOBAL needs two strings");
        op_global(values_[module].s, values_[name].s);
        break;
      }
      case 'R': op_reduce(); break;
      case 0x81: {  // NEWOBJ cls args: cls.__new__(cls, *args); only an OrderedDict
        const size_t args = pop(), cls = pop();
        const Value& c = values_[cls];
        if (c.kind != Kind::Global || kAllowedGlobals[c.i].callable != Callable::OrderedDict)
          fail("NEWOBJ of something other than collections.OrderedDict");
        if (values_[args].kind != Kind::Tuple) fail("NEWOBJ arguments are not a tuple");
        push(make_container(Kind::Dict, {}));
        break;
      }
      case 'b': {  // BUILD: only the attributes of an OrderedDict (state_dict()._metadata), dropped
        pop();
        container(top(), Kind::Dict, "BUILD");
        break;
      }
      case 'Q': op_persistent_load(); break;  // BINPERSID
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("unsupported pickle opcode ") + hex);
      }
    }
  }
}

void Unpickler::op_global(const std::string& module, const std::string& name) {
  const std::string full = module + "." + name;
  for (size_t k = 0; k < std::size(kAllowedGlobals); ++k) {
    if (full == kAllowedGlobals[k].name) {
      Value v;
      v.kind = Kind::Global;
      v.i = static_cast<int64_t>(k);
      push(make(std::move(v)));
      return;
    }
  }
  fail("refusing global " + quote(full) + ": a state dict needs only tensors, storages and OrderedDict "
       "(unpickling never runs code)");
}

void Unpickler::op_reduce() {
  const size_t args_index = pop(), callable_index = pop();
  const Value& c = values_[callable_index];
  if (c.kind != Kind::Global) fail("REDUCE of a " + std::string(kind_name(c.kind)) + ", not a global");
  if (values_[args_index].kind != Kind::Tuple) fail("REDUCE arguments are not a tuple");
  const std::vector<size_t> args = values_[args_index].items;
  const AllowedGlobal& g = kAllowedGlobals[c.i];
  switch (g.callable) {
    case Callable::OrderedDict:
      if (!args.empty()) fail("collections.OrderedDict called with arguments");
      push(make_container(Kind::Dict, {}));
      return;
    case Callable::RebuildTensorV2:  // (storage, offset, size, stride, requires_grad, hooks[, metadata])
      if (args.size() != 6 && args.size() != 7) fail("torch._utils._rebuild_tensor_v2 needs 6 or 7 arguments");
      push(rebuild_tensor(args, "_rebuild_tensor_v2"));
      return;
    case Callable::RebuildTensor:  // (storage, offset, size, stride)
      if (args.size() != 4) fail("torch._utils._rebuild_tensor needs 4 arguments");
      push(rebuild_tensor(args, "_rebuild_tensor"));
      return;
    case Callable::RebuildParameter:           // (data, requires_grad, backward_hooks)
    case Callable::RebuildParameterWithState:  // (data, requires_grad, backward_hooks, state)
      if (args.size() != (g.callable == Callable::RebuildParameter ? 3u : 4u)) fail(std::string(g.name) + ": wrong number of arguments");
      if (values_[args[0]].kind != Kind::Tensor) fail(std::string(g.name) + ": its data is not a tensor");
      push(args[0]);  // a parameter is its data; requires_grad and hooks do not matter here
      return;
    case Callable::StorageType: break;
  }
  fail("REDUCE of " + std::string(g.name) + ", which is not callable here");
}

// ('storage', storage type, key, location, numel) -> the storage, once per key. Its record must
// exist and declare exactly the size the storage needs; it is read after the pickle ran.
void Unpickler::op_persistent_load() {
  const Value& pid = values_[pop()];
  if (pid.kind != Kind::Tuple || pid.items.size() != 5) fail("persistent id is not a 5-tuple ('storage', type, key, location, numel)");
  const Value& tag = values_[pid.items[0]];
  const Value& type = values_[pid.items[1]];
  const Value& key = values_[pid.items[2]];
  if (tag.kind != Kind::String || tag.s != "storage") fail("persistent id is not a storage");
  if (type.kind != Kind::Global || kAllowedGlobals[type.i].callable != Callable::StorageType) fail("persistent id names no storage type");
  if (key.kind != Kind::String || key.s.empty() || key.s.size() > 64 ||
      key.s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos)
    fail("malformed storage key");
  const int64_t numel = get_int(pid.items[4], "storage size");
  const at::ScalarType dtype = kAllowedGlobals[type.i].dtype;
  const auto it = storage_index_.find(key.s);
  if (it != storage_index_.end()) {
    const Storage& s = storages_[it->second];
    if (s.dtype != dtype || s.numel != numel) fail("storage '" + key.s + "' is named with two different types or sizes");
    Value v;
    v.kind = Kind::Storage;
    v.i = static_cast<int64_t>(it->second);
    push(make(std::move(v)));
    return;
  }
  const auto item = static_cast<uint64_t>(c10::elementSize(dtype));
  if (numel < 0 || static_cast<uint64_t>(numel) > file_size_ / item)
    fail("storage '" + key.s + "' claims " + std::to_string(numel) + " elements, more than the file holds");
  const uint64_t bytes = static_cast<uint64_t>(numel) * item;
  const auto record = index_.sizes.find(index_.prefix + "data/" + key.s);
  if (record == index_.sizes.end()) fail("storage '" + key.s + "' does not exist in the archive");
  if (record->second != bytes)
    fail("storage '" + key.s + "' holds " + (record->second == UINT64_MAX ? "an undeclared number of" : std::to_string(record->second)) +
         " bytes, not " + std::to_string(numel) + " x " + std::to_string(item));
  const uint64_t budget = file_size_ * kMaxStorageFactor;
  storage_bytes_ += bytes;
  if (storage_bytes_ > budget)
    fail("the storages add up to more than " + std::to_string(budget) + " bytes (" + std::to_string(kMaxStorageFactor) +
         " times the file's size)");
  storage_index_.emplace(key.s, storages_.size());
  storages_.push_back({key.s, dtype, numel, at::Tensor()});
  Value v;
  v.kind = Kind::Storage;
  v.i = static_cast<int64_t>(storages_.size() - 1);
  push(make(std::move(v)));
}

// A second pass over the archive, reading each needed storage into a tensor of the size it needs.
void Unpickler::read_storages(const std::vector<bool>& needed) {
  std::unordered_map<std::string, size_t> wanted;  // record name -> storage
  for (size_t k = 0; k < storages_.size(); ++k) {
    if (needed[k]) wanted.emplace(index_.prefix + "data/" + storages_[k].key, k);
  }
  if (wanted.empty()) return;
  ZipRecords zip(path_);
  std::string name;
  uint64_t size = 0;
  while (zip.next(name, size)) {
    const auto it = wanted.find(name);
    if (it == wanted.end() || storages_[it->second].data.defined()) continue;
    Storage& s = storages_[it->second];
    const bool is_bool = s.dtype == at::kBool;
    at::Tensor data = torch::empty({s.numel}, torch::TensorOptions().dtype(is_bool ? at::kByte : s.dtype));
    const uint64_t bytes = static_cast<uint64_t>(s.numel) * data.element_size();
    if (size != bytes) fail("storage '" + s.key + "' changed size while it was read");
    zip.read(name, data.data_ptr(), bytes);
    s.data = is_bool ? data.ne(0) : data;  // any nonzero byte is true, as a valid bool must be 0 or 1
  }
  for (const auto& [record, k] : wanted) {
    if (!storages_[k].data.defined()) fail("storage '" + storages_[k].key + "' does not exist in the archive");
  }
}

// A strided view of a storage: every element it reaches must lie inside the storage.
size_t Unpickler::rebuild_tensor(const std::vector<size_t>& args, const char* what) {
  const Value& s = values_[args[0]];
  if (s.kind != Kind::Storage) fail(std::string(what) + ": first argument is not a storage");
  TensorView t;
  t.storage = static_cast<size_t>(s.i);
  t.offset = get_int(args[1], "storage offset");
  t.sizes = get_ints(args[2], "tensor size");
  t.strides = get_ints(args[3], "tensor stride");
  const int64_t storage_numel = storages_[t.storage].numel;
  if (t.sizes.size() != t.strides.size()) fail(std::string(what) + ": size and stride differ in length");
  if (t.offset < 0 || t.offset > storage_numel) fail(std::string(what) + ": storage offset outside its storage");
  t.numel = 1;
  int64_t last = t.offset;  // the largest element index the view reaches
  for (size_t d = 0; d < t.sizes.size(); ++d) {
    const int64_t n = t.sizes[d], stride = t.strides[d];
    if (n < 0 || stride < 0) fail(std::string(what) + ": negative size or stride");
    if (__builtin_mul_overflow(t.numel, n, &t.numel) || t.numel > kMaxElements) fail(std::string(what) + ": absurd tensor size");
    int64_t reach = 0;
    if (n > 0 && (__builtin_mul_overflow(n - 1, stride, &reach) || __builtin_add_overflow(last, reach, &last)))
      fail(std::string(what) + ": view reaches past its storage");
  }
  if (t.numel > 0 && last >= storage_numel) fail(std::string(what) + ": view reaches past its storage");
  tensors_.push_back(std::move(t));
  Value v;
  v.kind = Kind::Tensor;
  v.i = static_cast<int64_t>(tensors_.size() - 1);
  return make(std::move(v));
}

TensorMap Unpickler::state_dict(size_t top) {
  if (values_[top].kind != Kind::Dict) fail(std::string("the checkpoint holds a ") + kind_name(values_[top].kind) + ", not a dict of tensors");
  size_t dict = top;
  for (const char* wrapper : {"state_dict", "model"}) {
    const auto& items = values_[top].items;
    for (size_t k = 0; k + 1 < items.size(); k += 2) {
      const Value& key = values_[items[k]];
      if (key.kind == Kind::String && key.s == wrapper && values_[items[k + 1]].kind == Kind::Dict) dict = items[k + 1];
    }
    if (dict != top) break;
  }
  const uint64_t budget = file_size_ * kMaxOutputFactor + kMaxOutputFloor;
  uint64_t total = 0;
  const auto& items = values_[dict].items;
  std::vector<bool> needed(storages_.size(), false);
  for (size_t k = 0; k + 1 < items.size(); k += 2) {
    const Value& key = values_[items[k]];
    const Value& value = values_[items[k + 1]];
    if (key.kind != Kind::String) fail(std::string("a key of the state dict is a ") + kind_name(key.kind) + ", not a string");
    if (value.kind != Kind::Tensor) fail("entry " + quote(key.s) + " is a " + kind_name(value.kind) + ", not a tensor");
    const TensorView& t = tensors_[static_cast<size_t>(value.i)];
    total += static_cast<uint64_t>(t.numel) * c10::elementSize(storages_[t.storage].dtype);
    if (total > budget) fail("the tensors' views of their storages add up to more than " + std::to_string(budget) + " bytes");
    needed[t.storage] = true;
  }
  read_storages(needed);  // only the state dict's: not a wrapper's optimizer state
  TensorMap out;
  for (size_t k = 0; k + 1 < items.size(); k += 2) {
    const TensorView& t = tensors_[static_cast<size_t>(values_[items[k + 1]].i)];
    const at::Tensor& storage = storages_[t.storage].data;
    // A contiguous copy that owns its memory, whatever else shares the storage.
    out[values_[items[k]].s] = t.numel == 0 ? torch::empty(t.sizes, storage.options())
                                            : storage.as_strided(t.sizes, t.strides, t.offset).clone(at::MemoryFormat::Contiguous);
  }
  return out;
}

}  // namespace

TensorMap read_torch_checkpoint(const std::string& path) {
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path, ec);
  if (ec) throw Error(file_error(path, "cannot read: " + ec.message()));
  {
    char first = 0;
    std::ifstream(path, std::ios::binary).get(first);
    if (first == '\x80')  // a pickle's PROTO opcode, where a zip starts with "PK"
      throw Error(file_error(path, "is in the legacy torch.save format (PyTorch < 1.6); load it in Python and torch.save it again"));
  }
  try {
    const ArchiveIndex index = index_archive(path);
    if (index.byteorder != "little")
      throw Error(file_error(path, "storages are " + quote(index.byteorder) + " endian; only little-endian is read"));
    Unpickler u(path, index, file_size);
    return u.state_dict(u.run());
  } catch (const c10::Error& e) {  // an allocation that failed, say
    throw Error(file_error(path, first_line(e.what_without_backtrace())));
  } catch (const std::bad_alloc&) {
    throw Error(file_error(path, "out of memory"));
  }
}

}  // namespace mulan::model
