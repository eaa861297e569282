#include "ir/ShapeRules.h"
