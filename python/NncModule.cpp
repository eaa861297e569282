//===- NncModule.cpp - The nnc Python module ------------------------------===//
//
// `import nnc`: compile a model (or load a compiled artifact), run it,
// differentiate it and train it from Python, through the libraries the nnc
// command line runs (driver::ModelSession, train::CompiledGraph, the
// trainer), so that both give the same bytes.
//
// Memory: arrays passed to run() and grad() are read in place when they
// are C-contiguous and of the input's dtype (another dtype is a
// ValueError, a non-contiguous array is copied once); the arrays returned
// own tensors nnc allocated for that call; `model.params` are views of the
// model's own parameter tensors, so writing into them changes the model.
// The GIL is released while a graph runs or compiles, so Python threads
// can drive several models at once; calls on one model take turns.
//
//===----------------------------------------------------------------------===//

#include "python/ModuleSupport.h"
#include "python/Train.h"

#include "driver/ModelSession.h"
#include "driver/SessionGraphSource.h"
#include "driver/Trainer.h"
#include "train/ArtifactGraphSource.h"
#include "train/CompiledGraph.h"
#include "train/ParameterStore.h"

#include "runtime/ArtifactLoader.h"
#include "runtime/Npy.h"
#include "runtime/PluginHost.h"

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace py = pybind11;
using namespace nnc;
using namespace nnc::python;

namespace {

/// A compiled model (from a .nn source) or a loaded artifact (.nnx).
class Model {
public:
  static std::unique_ptr<Model>
  compile(const PathText &pathOrSource,
          const std::optional<std::string> &backend,
          std::optional<int64_t> batch, bool train,
          std::optional<py::object> threads, std::optional<uint64_t> seed) {
    if (batch && *batch < 1)
      raiseValue("batch must be at least 1, not " + std::to_string(*batch));
    auto model = std::unique_ptr<Model>(new Model());
    model->source.emplace(pathOrSource.text);
    const std::string &path = model->source->path();
    train::SessionOptions options;
    options.backend = backend.value_or("");
    options.threads = threadsArgument(threads);
    // Parsing, lowering and drawing the parameters of a large model take a
    // while: other Python threads go on meanwhile.
    rt::Expected<std::unique_ptr<driver::ModelSession>> session = [&] {
      py::gil_scoped_release release;
      return driver::ModelSession::open(options, path,
                                        model->collectWarning());
    }();
    if (!session.ok())
      raise(model->withSourceName(session.message()));
    model->session = std::move(*session);
    model->graphs = std::make_unique<driver::SessionGraphSource>(
        *model->session, driver::GraphRequest());
    model->issueWarnings();
    rt::Error initialized = [&] {
      py::gil_scoped_release release;
      const frontend::Program &program = model->session->program();
      return model->params.initialize(
          program, "",
          seed.value_or(driver::trainSectionSeed(program.training)));
    }();
    if (!initialized.ok())
      raise(initialized.message());
    // With a batch size, compile now what the model will run: the
    // gradient for training, the forward function otherwise.
    if (batch && train)
      model->gradientGraph(*batch, /*training=*/false);
    else if (batch)
      model->forwardGraph(*batch, /*withLoss=*/false);
    return model;
  }

  static std::unique_ptr<Model> load(const PathText &path,
                                     std::optional<py::object> threads) {
    auto model = std::unique_ptr<Model>(new Model());
    train::SessionOptions options;
    options.threads = threadsArgument(threads);
    const std::string &file = pathArgument(path, "path");
    // Reading and checking the file and the plugins, and copying the
    // weights, take a while for a large model: other Python threads go on
    // meanwhile.
    rt::Error loaded = [&]() -> rt::Error {
      py::gil_scoped_release release;
      rt::Expected<std::unique_ptr<train::ArtifactGraphSource>> opened =
          train::ArtifactGraphSource::open(
              file, train::runtimeOptions(options), options.plugins);
      if (!opened.ok())
        return opened.takeError();
      model->artifact = std::move(*opened);
      for (const rt::ArtifactTensor &tensor :
           model->artifact->artifact().tensors) {
        if (tensor.role != rt::BindingRole::Param &&
            tensor.role != rt::BindingRole::Buffer)
          continue;
        rt::Expected<rt::Tensor> copy = tensor.tensor.clone();
        if (!copy.ok())
          return copy.takeError();
        model->params.set(tensor.name, std::move(*copy),
                          tensor.role == rt::BindingRole::Param);
      }
      return rt::Error::success();
    }();
    if (!loaded.ok())
      raise(loaded.message());
    return model;
  }

  std::string backendName() const {
    return session ? session->backendName() : artifact->artifact().backendName;
  }

  std::vector<std::string> inputNames() const {
    if (session)
      return session->inputNames();
    std::vector<std::string> names;
    for (const rt::ArtifactPort &port : artifact->artifact().inputs)
      names.push_back(port.name);
    return names;
  }

  py::dict run(const std::optional<py::dict> &given, const py::kwargs &inputs) {
    std::map<std::string, py::array> arrays = namedArrays(given, inputs);
    train::CompiledGraph *graph = nullptr;
    if (session) {
      const std::vector<std::string> &lossOnly = session->lossOnlyInputs();
      bool withLoss = true;
      for (const std::string &name : session->inputNames())
        if (!arrays.count(name)) {
          if (std::find(lossOnly.begin(), lossOnly.end(), name) ==
              lossOnly.end())
            raiseValue("missing input '" + name +
                       "' (inputs: " + join(session->inputNames()) + ")");
          withLoss = false;
        }
      graph = forwardGraph(checkedBatchOf(arrays), withLoss);
    } else {
      std::vector<std::string> fed;
      for (const auto &[name, array] : arrays)
        fed.push_back(name);
      rt::Expected<const rt::ArtifactGraph *> chosen =
          rt::selectRunGraph(artifact->artifact(), fed);
      if (!chosen.ok())
        raiseValue(chosen.message());
      rt::Expected<train::CompiledGraph *> loaded =
          artifact->graph((*chosen)->name);
      if (!loaded.ok())
        raise(loaded.message());
      graph = *loaded;
    }
    return execute(*graph, arrays, {});
  }

  py::dict grad(const std::optional<py::dict> &overrides, bool training,
                const std::optional<py::dict> &given,
                const py::kwargs &inputs) {
    if (!session)
      raise("a loaded artifact has no gradient function; compile the model "
            "source");
    if (!session->program().hasLoss)
      raise("the model has no loss to differentiate");
    std::map<std::string, py::array> arrays = namedArrays(given, inputs);
    // The overrides first: inputs given there by mistake are named as such.
    std::map<std::string, py::array> paramArrays;
    const std::vector<std::string> &inputNames = session->inputNames();
    if (overrides)
      for (auto [key, value] : *overrides) {
        std::string name = py::str(key);
        rt::Tensor *own = params.find(name);
        if (!own && std::find(inputNames.begin(), inputNames.end(), name) !=
                        inputNames.end())
          raiseValue("'" + name + "' is an input, not a parameter: `params` " +
                     "overrides parameters; give inputs as keywords or as "
                     "inputs={...}");
        if (!own)
          raiseValue("the model has no parameter '" + name + "'");
        py::array array =
            checkedArray(value, own->dtype(), "parameter '" + name + "'");
        if (rt::Error error =
                params.checkReplacement(name, viewOf(array, own->dtype()));
            !error.ok())
          raiseValue(error.message());
        paramArrays[name] = array;
      }
    for (const std::string &name : inputNames)
      if (!arrays.count(name))
        raiseValue("missing input '" + name + "' (inputs: " + join(inputNames) +
                   ")");
    train::CompiledGraph *graph =
        gradientGraph(checkedBatchOf(arrays), training);
    return execute(*graph, arrays, paramArrays);
  }

  train::CompiledGraph *gradientGraph(int64_t batch, bool training) {
    if (!session->program().hasLoss)
      raise("the model has no loss to differentiate");
    return compiled([&] { return graphs->gradient(batch, training); });
  }

  std::vector<std::string> paramNames() const {
    std::vector<std::string> names;
    for (const auto &[name, tensor] : params.values())
      names.push_back(name);
    return names;
  }

  /// A NumPy view of parameter `name`, kept alive by `self`; KeyError when
  /// the model has none of that name.
  py::array paramView(py::object self, const std::string &name) {
    rt::Tensor *tensor = params.find(name);
    if (!tensor)
      throw py::key_error(name);
    return viewArray(*tensor, self);
  }

  /// Copies `value` into parameter `name`, whose dtype and shape it must
  /// have, and which must be finite as load_params requires (a buffer may
  /// hold infinities): views taken before see the new value. It waits for
  /// a run of this model on another thread, which would otherwise read
  /// half the old value and half the new.
  void setParam(const std::string &name, const py::handle &value) {
    rt::Tensor *tensor = params.find(name);
    if (!tensor)
      throw py::key_error(name);
    std::string what = "parameter '" + name + "'";
    py::array array = checkedArray(value, tensor->dtype(), what);
    if (rt::Error error =
            params.checkReplacement(name, viewOf(array, tensor->dtype()));
        !error.ok())
      raiseValue(error.message());
    inTurn([&] {
      if (tensor->byteSize() != 0)
        std::memmove(tensor->rawData(), array.data(), tensor->byteSize());
    });
  }

  void saveParams(const PathText &dir) {
    const std::string &folder = pathArgument(dir, "dir");
    // Never half of an assignment on another thread.
    rt::Error saved = inTurn([&] { return params.save(folder); });
    if (!saved.ok())
      raise(saved.message());
  }

  /// Reads DIR/NAME.npy into the parameter tensors in place, so that views
  /// taken before stay valid; a parameter without a file keeps its value.
  void loadParams(const PathText &dir) {
    std::vector<std::string> missing;
    const std::string &folder = pathArgument(dir, "dir");
    rt::Error loaded =
        inTurn([&] { return params.loadInPlace(folder, missing); });
    if (!loaded.ok())
      raise(loaded.message());
    for (const std::string &name : missing)
      addWarning("no '" + name + ".npy' in '" + folder +
                 "'; keeping its current value");
    issueWarnings();
  }

private:
  Model() = default;

  static std::string join(const std::vector<std::string> &names) {
    std::string text;
    for (const std::string &name : names)
      text += (text.empty() ? "" : ", ") + name;
    return text;
  }

  /// The inputs given as a dict (`inputs=`, for names a keyword cannot
  /// carry, such as grad's `params`) and as keywords, checked.
  std::map<std::string, py::array>
  namedArrays(const std::optional<py::dict> &given, const py::kwargs &inputs) {
    std::vector<std::string> names = inputNames();
    std::map<std::string, py::array> arrays;
    auto add = [&](py::handle key, py::handle value) {
      std::string name = py::str(key);
      if (std::find(names.begin(), names.end(), name) == names.end())
        raiseValue("the model has no input '" + name +
                   "' (inputs: " + join(names) + ")");
      if (arrays.count(name))
        raiseValue("input '" + name +
                   "' given twice, in the dict and as a keyword");
      rt::DType dtype = inputDType(name);
      arrays[name] = checkedArray(value, dtype, "input '" + name + "'");
    };
    if (given)
      for (auto [key, value] : *given)
        add(key, value);
    for (auto [key, value] : inputs)
      add(key, value);
    return arrays;
  }

  rt::DType inputDType(const std::string &name) const {
    if (session) {
      for (const frontend::Argument &arg : session->program().arguments)
        if (arg.name == name)
          return train::toRuntimeDType(arg.type.dtype);
    } else {
      for (const rt::ArtifactPort &port : artifact->artifact().inputs)
        if (port.name == name)
          return port.dtype;
    }
    return rt::DType::F32;
  }

  /// The batch size `arrays` give, once each has its input's declared
  /// shape: checked before a graph is compiled for that batch size, which
  /// a wrong feature count would otherwise cost (and keep).
  int64_t checkedBatchOf(const std::map<std::string, py::array> &arrays) const {
    std::map<std::string, rt::Shape> shapes;
    std::map<std::string, rt::ConstTensorView> views;
    for (const auto &[name, array] : arrays) {
      shapes[name] = shapeOfArray(array);
      views.emplace(name, viewOf(array, inputDType(name)));
    }
    rt::Expected<int64_t> batch =
        driver::batchSizeOf(session->program(), shapes);
    if (!batch.ok())
      raiseValue(batch.message());
    if (rt::Error error = driver::checkInputTypes(session->program(), views);
        !error.ok())
      raiseValue(error.message());
    return *batch;
  }

  train::CompiledGraph *forwardGraph(int64_t batch, bool withLoss) {
    return compiled([&] {
      return withLoss ? graphs->forward(batch) : graphs->predict(batch);
    });
  }

  /// Runs `graph` with the GIL released: inputs from `arrays`, parameters
  /// from `paramArrays` where given and the model's own otherwise; returns
  /// the results by name, in arrays that own their memory.
  py::dict execute(train::CompiledGraph &graph,
                   const std::map<std::string, py::array> &arrays,
                   const std::map<std::string, py::array> &paramArrays) {
    // Typed views first, while the GIL is held.
    std::map<std::string, rt::ConstTensorView> inputViews, paramViews;
    for (const auto &[name, array] : arrays)
      inputViews.emplace(name, viewOf(array, inputDType(name)));
    rt::Error unbatched =
        session ? driver::checkSharedInputs(session->program(), inputViews)
                : rt::checkUnbatchedInputs(artifact->artifact(), inputViews);
    if (!unbatched.ok())
      raiseValue(unbatched.message());
    for (const auto &[name, array] : paramArrays)
      paramViews.emplace(name, viewOf(array, params.find(name)->dtype()));
    auto lookup =
        [&](rt::BindingRole role,
            const std::string &name) -> std::optional<rt::ConstTensorView> {
      bool input = role == rt::BindingRole::Input;
      const auto &views = input ? inputViews : paramViews;
      if (auto it = views.find(name); it != views.end())
        return it->second;
      if (input)
        return std::nullopt;
      if (const rt::Tensor *tensor = params.find(name))
        return tensor->view();
      return std::nullopt;
    };
    std::vector<rt::TensorView> outputViews;
    std::vector<rt::Tensor> outputs = resultTensors(graph, outputViews);
    rt::Error error =
        inTurn([&] { return graph.runInto(lookup, outputViews); });
    if (!error.ok()) {
      // Shape and dtype mismatches are the caller's: ValueError. A
      // kernel's error names its line in the source, which for source
      // text is <string>, not the file it was compiled from.
      std::string message = withSourceName(error.message());
      if (message.rfind("input '", 0) == 0 || message.rfind("param '", 0) == 0)
        raiseValue(message);
      raise(message);
    }
    py::dict results;
    for (size_t i = 0; i < outputs.size(); ++i)
      results[py::str(graph.results()[i].name)] =
          ownedArray(std::move(outputs[i]));
    return results;
  }

  /// The compiler's warnings go to Python's `warnings` once it returns:
  /// nothing may raise while it runs.
  driver::WarningHandler collectWarning() {
    return [this](const std::string &rendered) {
      addWarning(withSourceName(rendered));
    };
  }

  /// `text` with a model given as source text named <string>.
  std::string withSourceName(std::string text) const {
    return source ? source->named(std::move(text)) : text;
  }

  /// Keeps `warning` for issueWarnings; from any thread, GIL or not.
  void addWarning(std::string warning) {
    std::lock_guard<std::mutex> guard(warningsGuard);
    pendingWarnings.push_back(std::move(warning));
  }

  void issueWarnings() {
    std::vector<std::string> warnings;
    {
      std::lock_guard<std::mutex> guard(warningsGuard);
      warnings.swap(pendingWarnings);
    }
    for (const std::string &warning : warnings)
      if (PyErr_WarnEx(PyExc_UserWarning, warning.c_str(), 1) != 0)
        throw py::error_already_set();
  }

  /// The graph `make` finds or compiles, with the warnings compiling it
  /// raised issued; raises nnc.Error with the compiler's diagnostics when
  /// it failed. A first compile takes a while: it runs without the GIL,
  /// so that other Python threads go on, and in the model's turn, as runs
  /// do, since the graphs of one model are made one at a time.
  template <typename Make> train::CompiledGraph *compiled(Make make) {
    rt::Expected<train::CompiledGraph *> graph = inTurn(make);
    issueWarnings();
    if (!graph.ok())
      raise(withSourceName(graph.message()));
    return *graph;
  }

  /// Runs `work` in the model's turn, with the GIL released: an executor
  /// runs one graph at a time, so runs, compiles and writes of one
  /// model's parameters from several Python threads take turns, while
  /// other models and other Python threads go on. Nothing in `work` may
  /// touch Python.
  template <typename Work> auto inTurn(Work work) -> decltype(work()) {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> turn(running);
    return work();
  }

  std::unique_ptr<driver::ModelSession> session;
  /// Warnings not yet issued, which compiling adds without the GIL.
  std::vector<std::string> pendingWarnings;
  std::mutex warningsGuard;
  std::unique_ptr<train::ArtifactGraphSource> artifact;
  train::ParameterStore params;
  /// The forward function and the gradient, compiled per batch size on
  /// first use.
  std::unique_ptr<driver::SessionGraphSource> graphs;
  /// The model's source file, which the graphs compiled on first use read.
  std::optional<ModelSource> source;
  std::mutex running;
};

std::vector<py::dict> backends() {
  rt::Expected<rt::PluginSet> plugins =
      rt::discoverPlugins(rt::defaultPluginDirs(), {});
  if (!plugins.ok())
    raise(plugins.message());
  std::vector<py::dict> result;
  for (const rt::LoadedPlugin &plugin : plugins->plugins) {
    py::dict entry;
    entry["name"] = plugin.name();
    entry["version"] = plugin.version();
    entry["path"] = plugin.path();
    result.push_back(entry);
  }
  return result;
}

/// model.params: the parameters and buffers by name, each a NumPy view of
/// the model's own tensor, so that writing into a view changes the model;
/// assigning an array of the parameter's dtype and shape copies it in. A
/// mapping whose keys are fixed: nothing can be added or removed.
class ParamsView {
public:
  explicit ParamsView(py::object model)
      : owner(std::move(model)), model(&owner.cast<Model &>()) {}

  py::array get(const std::string &name) {
    return model->paramView(owner, name);
  }
  py::array getItem(const py::handle &key) { return get(nameOf(key)); }
  void set(const py::handle &key, const py::handle &value) {
    model->setParam(nameOf(key), value);
  }
  /// The parameter name `key` gives; a key that is no str (or holds what
  /// UTF-8 cannot encode) names no parameter, a KeyError as for any other,
  /// which Mapping's methods expect.
  static std::string nameOf(const py::handle &key) {
    std::optional<std::string> name;
    if (py::isinstance<py::str>(key))
      name = utf8Of(key);
    if (!name) {
      // As one argument: a tuple given alone would be unpacked into the
      // exception's arguments, and None would give none.
      PyErr_SetObject(PyExc_KeyError, py::make_tuple(key).ptr());
      throw py::error_already_set();
    }
    return *name;
  }
  std::vector<std::string> keys() const { return model->paramNames(); }
  bool contains(const py::handle &key) const {
    std::optional<std::string> name;
    if (py::isinstance<py::str>(key))
      name = utf8Of(key);
    if (!name)
      return false;
    std::vector<std::string> names = keys();
    return std::find(names.begin(), names.end(), *name) != names.end();
  }
  py::list items() {
    py::list pairs;
    for (const std::string &name : keys())
      pairs.append(py::make_tuple(name, get(name)));
    return pairs;
  }
  py::list values() {
    py::list arrays;
    for (const std::string &name : keys())
      arrays.append(get(name));
    return arrays;
  }

private:
  py::object owner;
  Model *model;
};

constexpr char kParamsMadeBy[] =
    "nnc.Params cannot be created directly; use model.params";
constexpr char kModelMadeBy[] =
    "nnc.Model cannot be created directly; use nnc.compile or nnc.load";

/// A class's `__new__` that refuses: an object made by `cls.__new__(cls)`
/// (as copy and pickle do) would reach the methods with no C++ object
/// behind it. The module makes its objects in C++, which never calls it.
template <const char *Message>
py::object refuseDirectCreation(const py::args &, const py::kwargs &) {
  throw py::type_error(Message);
}

/// Refuses in the type's slot as well. With only a `__new__` in the class,
/// the base class's (`pybind11_object.__new__(nnc.Model)`) still built an
/// object with nothing behind it; CPython refuses that detour when the
/// class's slot is a C function of its own.
template <const char *Message> void refuseCreationInSlot(py::handle cls) {
  auto *type = reinterpret_cast<PyTypeObject *>(cls.ptr());
  type->tp_new = [](PyTypeObject *, PyObject *, PyObject *) -> PyObject * {
    PyErr_SetString(PyExc_TypeError, Message);
    return nullptr;
  };
  PyType_Modified(type);
}

} // namespace

PYBIND11_MODULE(_nnc, m) {
  m.doc() = "nnc: compile, run, differentiate and train neural networks";
  m.attr("__version__") = NNC_VERSION;
  nncError = PyErr_NewException("nnc.Error", PyExc_RuntimeError, nullptr);
  m.attr("Error") = py::handle(nncError);

  py::class_<ParamsView> params(m, "Params");
  params.def_static("__new__", &refuseDirectCreation<kParamsMadeBy>)
      .def("__getitem__", &ParamsView::getItem)
      .def("__setitem__", &ParamsView::set)
      .def("__delitem__",
           [](ParamsView &, const std::string &) {
             throw py::type_error("a model's parameters cannot be removed");
           })
      .def("__contains__", &ParamsView::contains)
      .def("__len__", [](const ParamsView &view) { return view.keys().size(); })
      .def("__iter__",
           [](const ParamsView &view) {
             return py::iter(py::cast(view.keys()));
           })
      .def("keys", &ParamsView::keys)
      .def("items", &ParamsView::items)
      .def("values", &ParamsView::values)
      .def(
          "get",
          [](ParamsView &view, const py::handle &key, py::object fallback) {
            return view.contains(key) ? py::object(view.getItem(key))
                                      : fallback;
          },
          py::arg("name"), py::arg("default") = py::none())
      .def("__repr__", [](const ParamsView &view) {
        std::string names;
        for (const std::string &name : view.keys())
          names += (names.empty() ? "" : ", ") + name;
        return "<nnc params: " + names + ">";
      });
  refuseCreationInSlot<kParamsMadeBy>(params);

  py::class_<Model> model(m, "Model");
  model.def_static("__new__", &refuseDirectCreation<kModelMadeBy>)
      .def("run", &Model::run, py::kw_only(), py::arg("inputs") = py::none(),
           "Runs the model once on NumPy inputs given by name (as keywords, "
           "or as the dict `inputs`); returns the outputs (and the loss when "
           "its labels are given) by name.")
      .def("grad", &Model::grad, py::arg("params") = py::none(),
           py::arg("training") = false, py::kw_only(),
           py::arg("inputs") = py::none(),
           "The loss and the gradient of every trainable parameter "
           "(grad_NAME) for the inputs given by name (as keywords, or as the "
           "dict `inputs`, for an input named `params`, `training` or "
           "`inputs`); `params` overrides parameters for this call; "
           "`training` differentiates batch_norm and dropout as the training "
           "step runs them.")
      .def_property_readonly(
          "params", [](py::object self) { return ParamsView(self); },
          "The parameters and buffers by name, as NumPy views of the "
          "model's own tensors; assigning an array of a parameter's dtype "
          "and shape copies it in.")
      .def("save_params", &Model::saveParams, py::arg("dir"))
      .def("load_params", &Model::loadParams, py::arg("dir"))
      .def_property_readonly("backend", &Model::backendName)
      .def_property_readonly("inputs", &Model::inputNames);
  refuseCreationInSlot<kModelMadeBy>(model);

  m.def("compile", &Model::compile, py::arg("path_or_source"),
        py::arg("backend") = py::none(), py::arg("batch") = py::none(),
        py::arg("train") = false, py::arg("threads") = py::none(),
        py::arg("seed") = py::none(),
        "Compiles a model from a .nn file or its source text.");
  m.def("load", &Model::load, py::arg("path"), py::arg("threads") = py::none(),
        "Loads a compiled artifact (.nnx) without compiling.");
  m.def(
      "train", &trainModel, py::arg("path"), py::arg("data"),
      py::arg("epochs") = py::none(), py::arg("batch") = py::none(),
      py::arg("optimizer") = py::none(), py::arg("lr") = py::none(),
      py::arg("freeze") = std::vector<std::string>{},
      py::arg("eval_data") = py::none(), py::arg("callback") = py::none(),
      // The rest are many and will grow: by name only, so that adding one
      // never rebinds a caller's positional argument.
      py::kw_only(), py::arg("after_gradients") = py::none(),
      py::arg("on_step") = py::none(), py::arg("seed") = py::none(),
      py::arg("backend") = py::none(), py::arg("threads") = py::none(),
      py::arg("params") = py::none(), py::arg("save_dir") = py::none(),
      py::arg("shuffle") = py::none(), py::arg("drop_last") = py::none(),
      py::arg("accumulate") = py::none(), py::arg("distributed") = false,
      py::arg("bucket_mb") = py::none(), py::arg("checkpoint_dir") = py::none(),
      py::arg("checkpoint_every") = 0, py::arg("resume") = py::none(),
      py::arg("max_steps") = 0, py::arg("clip_norm") = py::none(),
      py::arg("schedule") = py::none(), py::arg("lr_step_epochs") = py::none(),
      py::arg("lr_gamma") = py::none(), py::arg("lr_min") = py::none(),
      py::arg("eval_every") = py::none(), py::arg("plot") = py::none(),
      py::arg("report") = py::none(), py::arg("profile") = false,
      "Trains the model at `path` as `nnc train` does; returns the "
      "history, one dict per epoch, with the trained parameters in "
      "`.params`. `callback(entry)` follows each epoch, `on_step(entry)` "
      "each optimizer step; `after_gradients(step, grads)` gets each "
      "step's gradients by parameter name before they are applied, and "
      "what it writes into those arrays is applied instead. "
      "`drop_last=True` leaves out each epoch's last batch when it is "
      "short of a full one (--drop-last). "
      "`accumulate=K` sums the gradients of K batches per step; "
      "`distributed=True` trains data-parallel over the ranks of the "
      "MPI job that started the script (`mpirun -np N /usr/bin/python3 ...`), "
      "each rank with its share of every batch: every rank returns the "
      "same parameters, and rank 0 alone the history, and calls "
      "`callback` and `on_step`. "
      "`checkpoint_dir`, `checkpoint_every`, `resume`, `max_steps`, "
      "`clip_norm`, `schedule`, `lr_step_epochs`, `lr_gamma` and "
      "`lr_min` are the command's --checkpoint, --checkpoint-every, "
      "--resume, --max-steps, --clip-norm, --schedule, --lr-step-epochs, "
      "--lr-gamma and --lr-min; `eval_every`, `plot` and `report` are "
      "--eval-every, --plot FILE.svg and --report FILE.html. With "
      "`profile=True` the history's `.profile` holds the training step's "
      "kernels by time, as --profile prints them.");
  m.def("backends", &backends, "The backend plugins found.");
}
