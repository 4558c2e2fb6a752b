from rest_framework.routers import SimpleRouter

from apps.clusters.api import views

router = SimpleRouter()
router.register(
    "clusters/environments", views.EnvironmentPolicyViewSet, basename="cluster-environment"
)
router.register("clusters", views.ClusterViewSet, basename="cluster")

urlpatterns = router.urls
