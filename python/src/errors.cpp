// mulan.Error and its subclasses, and how the library's exceptions become them. The message is
// the one line the CLI prints (mulan::error_text), so a user sees the same words in both.
#include <c10/util/Exception.h>

#include "bindings.h"
#include "mulan/error.h"

namespace mulan::python {
namespace {

// Owned for the life of the process (a module is never unloaded).
PyObject* g_error = nullptr;
PyObject* g_usage = nullptr;
PyObject* g_type = nullptr;
PyObject* g_not_found = nullptr;

PyObject* new_exception(py::module_& m, const char* name, py::tuple bases, const char* doc) {
  const std::string qualified = std::string("mulan.") + name;  // shown as mulan.Error, not mulan._mulan.Error
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (type == nullptr) throw py::error_already_set();
  m.add_object(name, py::handle(type));
  return type;
}

[[noreturn]] void raise(PyObject* type, const std::string& message) {
  PyErr_SetString(type, message.c_str());
  throw py::error_already_set();
}

}  // namespace

void raise_usage(const std::string& message) { raise(g_usage, message); }
void raise_type(const std::string& message) { raise(g_type, message); }

void bind_errors(py::module_& m) {
  const py::handle exception(PyExc_Exception);
  g_error = new_exception(m, "Error", py::make_tuple(exception),
                          "Base class of every error mulan raises. The message is one line that names the file, the "
                          "field or the argument, as the mulan command line prints it.");
  const py::handle error(g_error);
  g_usage = new_exception(m, "UsageError", py::make_tuple(error, py::handle(PyExc_ValueError)),
                          "An argument with a value that makes no sense (a device, a batch size, an array's shape, a "
                          "missing sample rate). Also a ValueError.");
  g_type = new_exception(m, "InputTypeError", py::make_tuple(error, py::handle(PyExc_TypeError)),
                         "An argument of the wrong type (an integer array where float samples are expected, a number "
                         "where a text is). Also a TypeError.");
  g_not_found = new_exception(m, "NotFoundError", py::make_tuple(error, py::handle(PyExc_FileNotFoundError)),
                              "A file or folder that does not exist: an audio file, a model directory or one of its "
                              "files. Also a FileNotFoundError.");

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const FileNotFound& e) {
      PyErr_SetString(g_not_found, error_text(e).c_str());
    } catch (const UsageError& e) {
      PyErr_SetString(g_usage, error_text(e).c_str());
    } catch (const Error& e) {
      PyErr_SetString(g_error, error_text(e).c_str());
    } catch (const c10::Error& e) {  // LibTorch refusing something: its first line, no backtrace
      PyErr_SetString(g_error, error_text(e).c_str());
    }
  });
}

}  // namespace mulan::python
