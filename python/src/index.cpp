// mulan._mulan.Index: a music library made by `mulan index build` (mulan::Library).
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>

#include "bindings.h"
#include "mulan/library.h"
#include "mulan/model_hash.h"

namespace mulan::python {
namespace {

using namespace pybind11::literals;

struct PyIndex {
  std::shared_ptr<const Library> lib;
};

py::dict track_dict(const Track& t) {
  py::dict tags;
  if (!t.tags.title.empty()) tags["title"] = t.tags.title;
  if (!t.tags.artist.empty()) tags["artist"] = t.tags.artist;
  if (!t.tags.album.empty()) tags["album"] = t.tags.album;
  if (!t.tags.genre.empty()) tags["genre"] = t.tags.genre;
  return py::dict("id"_a = t.id, "path"_a = t.path, "size"_a = t.size, "mtime_ns"_a = t.mtime_ns,
                  "duration_s"_a = t.duration_s, "tags"_a = tags);
}

py::list hits_list(const std::vector<LibraryHit>& hits) {
  py::list out;
  for (const auto& h : hits) {
    py::dict d = track_dict(h.track);
    d["score"] = h.score;
    d["start_s"] = h.start_s;
    out.append(d);
  }
  return out;
}

}  // namespace

void bind_index(py::module_& m) {
  m.def(
      "model_hash",
      [](const std::string& dir) {
        py::gil_scoped_release release;
        return model_hash(dir);
      },
      "model_dir"_a);
  py::class_<PyIndex>(m, "Index", "A music library (use mulan.Index.open).")
      .def_static(
          "open",
          [](const std::string& path) {
            std::shared_ptr<const Library> lib;
            {
              py::gil_scoped_release release;
              lib = Library::open(path);
            }
            return PyIndex{lib};
          },
          "path"_a)
      .def("__len__", [](const PyIndex& self) { return self.lib->size(); })
      .def_property_readonly("embed_dim", [](const PyIndex& self) { return self.lib->embed_dim(); })
      .def("info", [](const PyIndex& self) {
        const LibraryInfo i = self.lib->info();
        return py::dict("path"_a = i.dir, "tracks"_a = i.tracks, "windows"_a = i.windows,
                        "duration_s"_a = i.total_duration_s, "embed_dim"_a = i.embed_dim,
                        "model_hash"_a = i.model_hash, "model_dir"_a = i.model_dir, "index"_a = i.index_kind,
                        "db_bytes"_a = i.db_bytes, "index_bytes"_a = i.index_bytes, "created"_a = i.created,
                        "updated"_a = i.updated);
      })
      .def(
          "check_model",
          [](const PyIndex& self, const std::string& hash, const std::string& dir) { self.lib->check_model(hash, dir); },
          "hash"_a, "model_dir"_a)
      .def(
          "nearest",
          [](const PyIndex& self, const std::vector<float>& query, int64_t k, int64_t exclude) {
            std::vector<LibraryHit> hits;
            {
              py::gil_scoped_release release;
              hits = self.lib->nearest(query, k, exclude);
            }
            return hits_list(hits);
          },
          "query"_a, "k"_a, "exclude"_a)
      .def(
          "similar",
          [](const PyIndex& self, int64_t id, int64_t k) {
            std::vector<LibraryHit> hits;
            {
              py::gil_scoped_release release;
              hits = self.lib->similar(id, k);
            }
            return hits_list(hits);
          },
          "id"_a, "k"_a)
      .def("track", [](const PyIndex& self, int64_t id) { return track_dict(self.lib->track(id)); }, "id"_a)
      .def("tracks",
           [](const PyIndex& self) {
             py::list out;
             for (const auto& t : self.lib->tracks()) out.append(track_dict(t));
             return out;
           })
      .def("embeddings", [](const PyIndex& self) {
        std::vector<float> v;
        {
          py::gil_scoped_release release;
          v = self.lib->embeddings();
        }
        const auto n = static_cast<py::ssize_t>(self.lib->size());
        py::array_t<float> out({n, static_cast<py::ssize_t>(self.lib->embed_dim())});
        std::copy(v.begin(), v.end(), out.mutable_data());
        return out;
      });
}

}  // namespace mulan::python
