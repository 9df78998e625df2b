// Reading torch.save zip archives of state dicts: the archive through LibTorch's
// PyTorchStreamReader, "data.pkl" through a minimal unpickler of the opcodes and globals a state
// dict uses (pickle protocol 2, as torch.save writes; see Python's Lib/pickletools.py for the
// opcode reference), the storages as raw little-endian records "data/<key>".
#include "model/torch_checkpoint.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "mulan/error.h"

namespace mulan::model {
namespace {

static_assert(std::endian::native == std::endian::little, "storages are read as little-endian bytes");

constexpr size_t kMaxPickleBytes = size_t{32} << 20;  // a state dict's pickle is ~100 bytes a tensor
constexpr size_t kMaxNameBytes = 256;                  // a GLOBAL's module or name
constexpr size_t kMaxDims = 64;
constexpr int64_t kMaxElements = int64_t{1} << 50;
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
  at::Tensor data;  // 1-D, the whole storage
};

std::string first_line(const char* s) {
  std::string m(s);
  const auto nl = m.find('\n');
  return nl == std::string::npos ? m : m.substr(0, nl);
}

class Unpickler {
 public:
  Unpickler(const std::string& path, caffe2::serialize::PyTorchStreamReader& reader, uint64_t file_size,
            const uint8_t* data, size_t size)
      : path_(path), reader_(reader), file_size_(file_size), p_(data), end_(data + size), begin_(data) {}

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
    values_.push_back(std::move(v));
    return values_.size() - 1;
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
  void memo_put(uint64_t index) { memo_[index] = top(); }
  void memo_get(uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo index " + std::to_string(index) + " out of range");
    stack_.push_back(it->second);
  }

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
  caffe2::serialize::PyTorchStreamReader& reader_;
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
  std::vector<Storage> storages_;
  std::unordered_map<std::string, size_t> storage_index_;
  std::vector<TensorView> tensors_;
};

size_t Unpickler::run() {
  // Immutable constants are shared, so that a run of one-byte opcodes does not allocate.
  const size_t none = make(Value{}), yes = make_int(1, Kind::Bool), no = make_int(0, Kind::Bool);
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
      case '(': marks_.push_back(stack_.size()); break;
      case '}': stack_.push_back(make_container(Kind::Dict, {})); break;
      case ']': stack_.push_back(make_container(Kind::List, {})); break;
      case ')': stack_.push_back(make_container(Kind::Tuple, {})); break;
      case 't': stack_.push_back(make_container(Kind::Tuple, pop_to_mark())); break;
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        std::vector<size_t> items(static_cast<size_t>(op - 0x84));
        for (size_t k = items.size(); k-- > 0;) items[k] = pop();
        stack_.push_back(make_container(Kind::Tuple, std::move(items)));
        break;
      }
      case 'X': case 0x8c: case 0x8d: {  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
        Value v;
        v.kind = Kind::String;
        v.s = take(le(op == 'X' ? 4 : op == 0x8c ? 1 : 8));
        stack_.push_back(make(std::move(v)));
        break;
      }
      case 'J': stack_.push_back(make_int(static_cast<int32_t>(le(4)))); break;  // BININT
      case 'K': stack_.push_back(make_int(static_cast<int64_t>(le(1)))); break;  // BININT1
      case 'M': stack_.push_back(make_int(static_cast<int64_t>(le(2)))); break;  // BININT2
      case 0x8a: {  // LONG1: n bytes, little-endian two's complement
        const auto n = static_cast<size_t>(le(1));
        if (n > 8) fail("integer wider than 64 bits");
        uint64_t v = le(n);
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
        stack_.push_back(make_int(static_cast<int64_t>(v)));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double
        need(8);
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | *p_++;
        Value v;
        v.kind = Kind::Float;
        v.f = std::bit_cast<double>(bits);
        stack_.push_back(make(std::move(v)));
        break;
      }
      case 0x88: stack_.push_back(yes); break;   // NEWTRUE
      case 0x89: stack_.push_back(no); break;    // NEWFALSE
      case 'N': stack_.push_back(none); break;   // NONE
      case 'q': memo_put(le(1)); break;          // BINPUT
      case 'r': memo_put(le(4)); break;          // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
      case 'h': memo_get(le(1)); break;          // BINGET
      case 'j': memo_get(le(4)); break;          // LONG_BINGET
      case 's': {                                // SETITEM
        const size_t value = pop(), key = pop();
        auto& items = container(top(), Kind::Dict, "SETITEM").items;
        items.push_back(key);
        items.push_back(value);
        break;
      }
      case 'u': {  // SETITEMS
        const std::vector<size_t> kv = pop_to_mark();
        if (kv.size() % 2) fail("SETITEMS with an odd number of items");
        auto& items = container(top(), Kind::Dict, "SETITEMS").items;
        items.insert(items.end(), kv.begin(), kv.end());
        break;
      }
      case 'a': {  // APPEND
        const size_t value = pop();
        container(top(), Kind::List, "APPEND").items.push_back(value);
        break;
      }
      case 'e': {  // APPENDS
        const std::vector<size_t> vs = pop_to_mark();
        auto& items = container(top(), Kind::List, "APPENDS").items;
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
        stack_.push_back(make_container(Kind::Dict, {}));
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
      stack_.push_back(make(std::move(v)));
      return;
    }
  }
  fail("refusing global '" + full + "': a state dict needs only tensors, storages and OrderedDict "
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
      stack_.push_back(make_container(Kind::Dict, {}));
      return;
    case Callable::RebuildTensorV2:  // (storage, offset, size, stride, requires_grad, hooks[, metadata])
      if (args.size() != 6 && args.size() != 7) fail("torch._utils._rebuild_tensor_v2 needs 6 or 7 arguments");
      stack_.push_back(rebuild_tensor(args, "_rebuild_tensor_v2"));
      return;
    case Callable::RebuildTensor:  // (storage, offset, size, stride)
      if (args.size() != 4) fail("torch._utils._rebuild_tensor needs 4 arguments");
      stack_.push_back(rebuild_tensor(args, "_rebuild_tensor"));
      return;
    case Callable::RebuildParameter:           // (data, requires_grad, backward_hooks)
    case Callable::RebuildParameterWithState:  // (data, requires_grad, backward_hooks, state)
      if (args.size() != (g.callable == Callable::RebuildParameter ? 3u : 4u)) fail(std::string(g.name) + ": wrong number of arguments");
      if (values_[args[0]].kind != Kind::Tensor) fail(std::string(g.name) + ": its data is not a tensor");
      stack_.push_back(args[0]);  // a parameter is its data; requires_grad and hooks do not matter here
      return;
    case Callable::StorageType: break;
  }
  fail("REDUCE of " + std::string(g.name) + ", which is not callable here");
}

// ('storage', storage type, key, location, numel) -> the storage, read once per key.
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
    if (s.dtype != dtype || s.data.numel() != numel) fail("storage '" + key.s + "' is named with two different types or sizes");
    Value v;
    v.kind = Kind::Storage;
    v.i = static_cast<int64_t>(it->second);
    stack_.push_back(make(std::move(v)));
    return;
  }
  const auto item = static_cast<int64_t>(c10::elementSize(dtype));
  if (numel < 0 || static_cast<uint64_t>(numel) > file_size_ / static_cast<uint64_t>(item))
    fail("storage '" + key.s + "' claims " + std::to_string(numel) + " elements, more than the file holds");
  const std::string record = "data/" + key.s;
  if (!reader_.hasRecord(record)) fail("storage '" + key.s + "' does not exist in the archive");
  at::DataPtr ptr;
  size_t bytes = 0;
  try {
    std::tie(ptr, bytes) = reader_.getRecord(record);
  } catch (const c10::Error& e) {
    fail("cannot read storage '" + key.s + "': " + first_line(e.what_without_backtrace()));
  }
  if (bytes != static_cast<size_t>(numel * item))
    fail("storage '" + key.s + "' holds " + std::to_string(bytes) + " bytes, not " + std::to_string(numel) + " x " + std::to_string(item));
  const bool is_bool = dtype == at::kBool;
  at::Tensor data = torch::empty({numel}, torch::TensorOptions().dtype(is_bool ? at::kByte : dtype));
  if (bytes > 0) std::memcpy(data.data_ptr(), ptr.get(), bytes);
  if (is_bool) data = data.ne(0);  // any nonzero byte is true, as a valid bool must be 0 or 1
  storage_index_.emplace(key.s, storages_.size());
  storages_.push_back({key.s, dtype, std::move(data)});
  Value v;
  v.kind = Kind::Storage;
  v.i = static_cast<int64_t>(storages_.size() - 1);
  stack_.push_back(make(std::move(v)));
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
  const int64_t storage_numel = storages_[t.storage].data.numel();
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
  TensorMap out;
  const auto& items = values_[dict].items;
  for (size_t k = 0; k + 1 < items.size(); k += 2) {
    const Value& key = values_[items[k]];
    const Value& value = values_[items[k + 1]];
    if (key.kind != Kind::String) fail(std::string("a key of the state dict is a ") + kind_name(key.kind) + ", not a string");
    if (value.kind != Kind::Tensor) fail("entry '" + key.s + "' is a " + kind_name(value.kind) + ", not a tensor");
    const TensorView& t = tensors_[static_cast<size_t>(value.i)];
    const at::Tensor& storage = storages_[t.storage].data;
    total += static_cast<uint64_t>(t.numel) * storage.element_size();
    if (total > budget) fail("the tensors' views of their storages add up to more than " + std::to_string(budget) + " bytes");
    // A contiguous copy that owns its memory, whatever else shares the storage.
    out[key.s] = t.numel == 0 ? torch::empty(t.sizes, storage.options())
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
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  at::DataPtr pickle;
  size_t pickle_size = 0;
  std::string byteorder = "little";
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    if (!reader->hasRecord("data.pkl")) throw Error(file_error(path, "archive has no data.pkl (not a torch.save checkpoint)"));
    if (reader->hasRecord("byteorder")) {
      auto [ptr, n] = reader->getRecord("byteorder");
      byteorder.assign(static_cast<const char*>(ptr.get()), std::min<size_t>(n, 16));
    }
    std::tie(pickle, pickle_size) = reader->getRecord("data.pkl");
  } catch (const c10::Error& e) {
    throw Error(file_error(path, "not a readable torch.save zip archive (PyTorch >= 1.6): " + first_line(e.what_without_backtrace())));
  }
  if (byteorder != "little") throw Error(file_error(path, "storages are '" + byteorder + "' endian; only little-endian is read"));
  if (pickle_size > kMaxPickleBytes) throw Error(file_error(path, "data.pkl is larger than any state dict's pickle"));
  Unpickler u(path, *reader, file_size, static_cast<const uint8_t*>(pickle.get()), pickle_size);
  return u.state_dict(u.run());
}

}  // namespace mulan::model
